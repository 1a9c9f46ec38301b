//! The application factory shared by `main` and the integration tests: settings in, a
//! bound server with its database, adapters, simulators and jobs out.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpMessage, HttpResponse, web};
use elife_domain::ports::{Clock, JobLeases, RandomIds, StatisticsRepository, SystemClock};
use elife_domain::services::{OrderService, Ports, RechargeService};
use elife_persistence::{
    DatabaseConnection, SeaOrmAuditLog, SeaOrmExchangeRateRepository, SeaOrmJobLeases,
    SeaOrmOrderRepository, SeaOrmPaymentNotificationLog, SeaOrmStatisticsRepository,
    SeaOrmUserRepository,
};
use elife_unitel::{UnitelClient, UnitelConfig};
use secrecy::ExposeSecret;
use tokio::sync::watch;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::alerts::LogAndWebhookAlerts;
use crate::background::Background;
use crate::configuration::Settings;
use crate::http;
use crate::http::identity::IdentityPolicy;
use crate::http::rate_limit::RateLimits;
use crate::jobs::Jobs;
use crate::metrics_names;
use crate::payment_channel::PaymentChannel;
use crate::sandbox::Sandbox;
use crate::state::AppState;
use crate::topups::TopUps;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Database(String),
    #[error("sandbox: {0}")]
    Sandbox(#[from] crate::sandbox::SandboxError),
    #[error("adapter setup: {0}")]
    Adapter(String),
}

/// Replacements for tests (a movable clock).
#[derive(Default, Clone)]
pub struct Overrides {
    pub clock: Option<Arc<dyn Clock>>,
}

/// How the running application is reached, printed at start-up.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub api: String,
    pub swagger: Option<String>,
    pub unitel_sandbox: Option<String>,
    pub wechat_sandbox: Option<String>,
    pub wechat_pay_v3_sandbox: Option<String>,
}

pub struct Application {
    port: u16,
    server: Server,
    jobs: Jobs,
    jobs_enabled: bool,
    background: Background,
    top_ups: TopUps,
    payments: crate::payments::Payments,
    shutdown: Shutdown,
    sandbox: Option<Arc<Sandbox>>,
    endpoints: Endpoints,
    db: DatabaseConnection,
    /// The gateway's channel; with v3 it keeps the platform certificates fresh until the
    /// application stops.
    payment_channel: PaymentChannel,
}

pub async fn connect_database(settings: &Settings) -> Result<DatabaseConnection, StartupError> {
    let db = elife_persistence::connect(&settings.database.url, &settings.database.pool())
        .await
        .map_err(|error| StartupError::Database(error.to_string()))?;
    elife_persistence::migrate_up(&db)
        .await
        .map_err(|error| StartupError::Database(format!("migrations failed: {error}")))?;
    Ok(db)
}

/// Storage ports on one connection pool.
pub struct Storage {
    pub db: DatabaseConnection,
    pub statistics: Arc<dyn StatisticsRepository>,
    pub leases: Arc<dyn JobLeases>,
}

/// Builds the top-up's ports from the settings: storage on `db`, Unitel's adapter pointed
/// at the real API or at the simulator. (The payments core has its own: `Payments`.)
pub fn build_ports(
    settings: &Settings,
    db: &DatabaseConnection,
    sandbox: Option<&Sandbox>,
    overrides: &Overrides,
) -> Result<Ports, StartupError> {
    let (unitel_url, unitel_user, unitel_password) = match sandbox {
        Some(sandbox) => {
            let (user, password) = Sandbox::unitel_credentials();
            (
                sandbox.unitel.base_url(),
                user.to_owned(),
                password.to_owned(),
            )
        }
        None => (
            settings.unitel.api_url.clone(),
            settings.unitel.username.clone(),
            settings.unitel.password.expose_secret().to_owned(),
        ),
    };
    let mut unitel_config = UnitelConfig::new(unitel_url, unitel_user, unitel_password);
    unitel_config.request_timeout = settings.unitel.timeout;
    let provider = UnitelClient::new(unitel_config)
        .map_err(|error| StartupError::Adapter(format!("unitel: {error}")))?;

    Ok(Ports {
        orders: Arc::new(SeaOrmOrderRepository::new(
            db.clone(),
            settings.personal_data.keyring.clone(),
        )),
        users: Arc::new(SeaOrmUserRepository::new(db.clone())),
        rates: Arc::new(SeaOrmExchangeRateRepository::new(db.clone())),
        provider: Arc::new(provider),
        clock: overrides
            .clock
            .clone()
            .unwrap_or_else(|| Arc::new(SystemClock)),
        ids: Arc::new(RandomIds),
        alerts: Arc::new(LogAndWebhookAlerts::new(
            settings
                .alert_webhook_url
                .as_ref()
                .map(|url| url.expose_secret().to_owned()),
        )),
        prefixes: settings.operator_prefixes.clone(),
        audit: Arc::new(SeaOrmAuditLog::new(db.clone())),
    })
}

/// Copies the request id tracing-actix-web assigned into the `x-request-id` header.
async fn request_id_header(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request.extensions().get::<RequestId>().copied();
    let mut response = next.call(request).await?;
    if let Some(id) = id
        && let Ok(value) = HeaderValue::from_str(&id.to_string())
    {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}

/// Counts requests and their latency per route pattern.
async fn record_metrics(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    // Labels come from a closed set, so no request can grow the metrics: anyone may send a
    // made-up method or path.
    let method = metrics_names::method_label(request.method());
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.call(request).await?;
    let status = response.status().as_u16().to_string();
    metrics::counter!(metrics_names::HTTP_REQUESTS, "method" => method, "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!(metrics_names::HTTP_LATENCY, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    Ok(response)
}

async fn metrics_endpoint() -> HttpResponse {
    let body = metrics_names::prometheus()
        .map(|handle| handle.render())
        .unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}

fn cors(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allowed_methods(vec!["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allow_any_header()
        .max_age(3600);
    if origins.iter().any(|origin| origin == "*") {
        return cors.allow_any_origin();
    }
    origins
        .iter()
        .fold(cors, |cors, origin| cors.allowed_origin(origin))
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        Self::build_with(settings, Overrides::default()).await
    }

    pub async fn build_with(
        settings: Settings,
        overrides: Overrides,
    ) -> Result<Application, StartupError> {
        let address = format!("{}:{}", settings.host, settings.port);
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                address: address.clone(),
                source,
            })?
            .port();
        let local_base = format!("http://127.0.0.1:{port}");

        let db = connect_database(&settings).await?;
        let v3 = settings.wechat_pay.channel == crate::configuration::PayChannel::V3;
        let sandbox = if settings.uses_sandbox() {
            let sandbox = Sandbox::start(Some(local_base.clone()), 0, 0).await?;
            Some(Arc::new(if v3 {
                sandbox.with_wechat_pay_v3().await?
            } else {
                sandbox
            }))
        } else {
            None
        };
        let mut payment_channel = PaymentChannel::build(&settings, sandbox.as_deref())?;
        payment_channel.start().await;
        let ports = build_ports(&settings, &db, sandbox.as_deref(), &overrides)?;
        let statistics: Arc<dyn StatisticsRepository> =
            Arc::new(SeaOrmStatisticsRepository::new(db.clone()));
        let leases: Arc<dyn JobLeases> = Arc::new(SeaOrmJobLeases::new(db.clone()));

        let recharge = Arc::new(RechargeService::new(ports.clone()));
        // Payable for as long as expiry leaves the order open.
        let payment_window = chrono::Duration::minutes(settings.jobs.order_expire_minutes);
        let background = Background::on_current_runtime();
        let top_ups = TopUps::new(
            Arc::clone(&recharge),
            settings.jobs.topup_concurrency,
            background.clone(),
        );
        let payments = crate::payments::Payments::new(
            &db,
            &ports,
            payment_channel.gateway(),
            settings.wechat_pay.channel,
            &top_ups,
            payment_window,
            settings.jobs.auto_refund,
        );
        let mall = crate::mall::Mall::new(
            &db,
            settings.personal_data.keyring.clone(),
            &ports,
            &payments,
            &settings.mall,
            crate::mall::parcel_tracking(&settings.mall, sandbox.as_deref())
                .map_err(|error| StartupError::Adapter(format!("kuaidi100: {error}")))?,
        )
        .map_err(|error| StartupError::Adapter(format!("search index: {error}")))?;
        // The index lives in this process: filled from the database before serving.
        match mall.search.rebuild().await {
            Ok(indexed) => tracing::info!(indexed, "search index built"),
            Err(error) => {
                tracing::error!(%error, "search index not built; search finds nothing until a product changes")
            }
        }
        crate::admin::warn_about_break_glass(&settings);
        let sessions = crate::accounts::session_service(&settings, &db, Arc::clone(&ports.clock))?;
        let accounts = crate::accounts::shopper_accounts(
            &settings,
            &ports,
            Arc::clone(&sessions),
            sandbox.as_deref(),
        )?;
        let back_office =
            crate::admin::BackOffice::new(&settings, &db, &ports, Arc::clone(&sessions));
        let order_queries = Arc::new(elife_domain::services::OrderQueries::new(Arc::clone(
            &ports.orders,
        )));
        let statistics_service = Arc::new(elife_domain::services::StatisticsService::new(
            Arc::clone(&statistics),
            Arc::clone(&ports.clock),
        ));
        let notification_log = Arc::new(elife_domain::services::NotificationLogService::new(
            Arc::new(SeaOrmPaymentNotificationLog::new(db.clone())),
        ));
        let console = elife_console::Console {
            services: elife_console::ConsoleServices {
                admin_sessions: Arc::clone(&back_office.admin_sessions),
                admins: Arc::clone(&back_office.admins),
                audit_trail: Arc::clone(&back_office.audit_trail),
                exchange_rates: Arc::clone(&back_office.exchange_rates),
                order_queries: Arc::clone(&order_queries),
                recharge: Arc::clone(&recharge),
                top_up_payments: Arc::clone(&payments.top_ups),
                payments: Arc::clone(&payments.collection),
                refunds: Arc::clone(&payments.refunds),
                statistics: Arc::clone(&statistics_service),
                notification_log: Arc::clone(&notification_log),
                attention: Arc::new(elife_domain::services::AttentionService::new(
                    ports.clone(),
                    chrono::Duration::minutes(settings.jobs.stuck_alert_minutes),
                )),
                points: Arc::clone(&payments.points.service),
                points_admin: Arc::clone(&payments.points.admin),
                points_shop: Arc::clone(&payments.points.shop),
                clock: Arc::clone(&ports.clock),
            },
            secure_cookies: settings.environment.is_production(),
        };
        let state = web::Data::new(AppState {
            back_office,
            accounts,
            orders: OrderService::new(ports.clone()),
            payments: payments.clone(),
            points: payments.points.clone(),
            mall: mall.clone(),
            recharge: Arc::clone(&recharge),
            statistics: statistics_service,
            order_queries,
            catalogue: elife_domain::services::TopUpCatalogue::new(Arc::clone(&ports.provider)),
            notification_log,
            identity: IdentityPolicy {
                mock_enabled: settings.mock_identity_enabled
                    && !settings.environment.is_production(),
                mode: settings.accounts.identity,
            },
            admin_token: settings
                .admin_token
                .as_ref()
                .map(|token| token.expose_secret().to_owned()),
            limits: RateLimits::new(settings.rate_limits),
            callback_timeout: settings.callback_timeout,
            wechat_pay_notifications: payment_channel.notifications(),
            top_ups: top_ups.clone(),
            ports: ports.clone(),
        });
        let jobs = Jobs::new(
            ports.clone(),
            Arc::clone(&recharge),
            top_ups.clone(),
            payments.clone(),
            statistics,
            sessions,
            leases,
            lease_holder(),
            settings.jobs.clone(),
            mall,
            settings.mall.job_interval,
        );

        // Install the recorder before the first request is counted.
        metrics_names::spawn_upkeep();
        let body_limit = settings.body_limit_bytes;
        let swagger = settings.swagger_enabled;
        let origins = settings.cors_allowed_origins.clone();
        let simulators = sandbox.clone();
        let server = http::server::serve(listener, settings.http_workers, move || {
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(http::rate_limit::limit_by_address))
                .wrap(from_fn(http::envelope::add_error_path))
                .wrap(from_fn(record_metrics))
                .wrap(from_fn(request_id_header))
                .wrap(cors(&origins))
                .wrap(TracingLogger::<http::log_span::PrivateRootSpan>::new())
                .route("/metrics", web::get().to(metrics_endpoint))
                .configure(|cfg| {
                    elife_console::configure(cfg, console.clone());
                    if let Some(simulators) = &simulators {
                        http::routes::sandbox::configure(cfg, Arc::clone(simulators));
                    }
                    http::configure(cfg, body_limit, swagger)
                })
        })
        .map_err(|source| StartupError::Bind { address, source })?;

        let endpoints = Endpoints {
            api: local_base.clone(),
            swagger: swagger.then(|| format!("{local_base}/api/")),
            unitel_sandbox: sandbox.as_ref().map(|sandbox| sandbox.unitel.base_url()),
            wechat_sandbox: sandbox.as_ref().map(|sandbox| sandbox.wechat.url()),
            wechat_pay_v3_sandbox: sandbox
                .as_ref()
                .and_then(|sandbox| sandbox.wechat_pay_v3.as_ref().map(|sim| sim.url())),
        };
        Ok(Application {
            port,
            server,
            jobs,
            jobs_enabled: settings.jobs.enabled,
            background,
            top_ups,
            payments,
            shutdown: Shutdown::default(),
            sandbox,
            endpoints,
            db,
            payment_channel,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The simulators, when the sandbox is on.
    pub fn sandbox(&self) -> Option<Arc<Sandbox>> {
        self.sandbox.clone()
    }

    /// The WeChat Pay API v3 gateway, with `PAY_CHANNEL=v3` (Native payments, tests).
    pub fn wechat_pay_v3(&self) -> Option<elife_wechatpay::WechatPayGateway> {
        self.payment_channel.wechat_pay_v3().cloned()
    }

    /// The payments core's use cases (tests, embedding).
    pub fn payments(&self) -> crate::payments::Payments {
        self.payments.clone()
    }

    /// The scheduled jobs, to run one now (tests, CLI).
    pub fn jobs(&self) -> Jobs {
        self.jobs.clone()
    }

    pub fn database(&self) -> DatabaseConnection {
        self.db.clone()
    }

    /// Top-ups in flight in this instance, bounded by `TOPUP_CONCURRENCY`.
    pub fn top_ups(&self) -> TopUps {
        self.top_ups.clone()
    }

    /// Work started after a request was answered (tests wait for it to drain).
    pub fn background(&self) -> Background {
        self.background.clone()
    }

    /// Stops the application as SIGTERM does (tests, embedding).
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Serves until SIGINT/SIGTERM (or [`Shutdown::request`]): from that moment no new
    /// top-up is claimed; then in-flight requests, jobs and claimed top-ups finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application {
            server,
            jobs,
            jobs_enabled,
            background,
            top_ups,
            shutdown,
            sandbox,
            ..
        } = self;
        let (stop_jobs, stopped) = watch::channel(false);
        let mut running_jobs = jobs_enabled.then(|| jobs.spawn(stopped));
        let handle = server.handle();
        let mut server = std::pin::pin!(server);
        let served = tokio::select! {
            served = &mut server => Some(served),
            () = shutdown.requested() => None,
        };
        tracing::info!(
            "stopping: no new top-up is claimed; finishing requests, jobs and claimed top-ups"
        );
        top_ups.stop_claiming();
        let _ = stop_jobs.send(true);
        // Jobs and claimed top-ups finish while the HTTP workers are still alive (paused:
        // no new connections): pooled database connections opened on a worker's runtime die
        // with it, and a top-up's answer must still be stored after the HTTP server is gone.
        let finish_work = async {
            if let Some(jobs) = running_jobs.as_mut() {
                let finish = async { while jobs.join_next().await.is_some() {} };
                if tokio::time::timeout(Duration::from_secs(30), finish)
                    .await
                    .is_err()
                {
                    tracing::warn!("jobs still running after 30 s; stopping anyway");
                }
            }
            if !background.drain(Duration::from_secs(60)).await {
                tracing::error!(
                    in_flight = background.in_flight(),
                    "top-ups still running at shutdown; the recharge job will mark stale claims unknown"
                );
            }
            jobs.release_leases().await;
        };
        let served = match served {
            Some(served) => {
                finish_work.await;
                served
            }
            // The server future runs actix's command loop: it must be polled while the
            // pause and the stop are awaited.
            None => {
                let wind_down = async {
                    handle.pause().await;
                    finish_work.await;
                    handle.stop(true).await;
                };
                tokio::join!(wind_down, server).1
            }
        };
        drop(sandbox);
        served
    }
}

/// Asks a running application to stop; SIGINT and SIGTERM do the same.
#[derive(Clone, Default)]
pub struct Shutdown {
    requested: Arc<tokio::sync::Notify>,
}

impl Shutdown {
    pub fn request(&self) {
        // Stores a permit, so a request made before anyone waits is not lost.
        self.requested.notify_one();
    }

    async fn requested(&self) {
        tokio::select! {
            () = self.requested.notified() => {}
            () = signal_received() => {}
        }
    }
}

#[cfg(unix)]
async fn signal_received() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut terminate), Ok(mut interrupt)) => {
            tokio::select! {
                _ = terminate.recv() => tracing::info!("SIGTERM received"),
                _ = interrupt.recv() => tracing::info!("SIGINT received"),
            }
        }
        (Err(error), _) | (_, Err(error)) => {
            tracing::error!(%error, "cannot listen for signals; stop with Ctrl-C only");
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(not(unix))]
async fn signal_received() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Who holds job leases: unique per application instance, even two in one process.
fn lease_holder() -> String {
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    format!("{}-{}-{started}", hostname(), std::process::id())
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "elife".to_owned())
}
