//! The customers and WeChat's payer: orders created over HTTP at random instances (retried
//! when one is down or the database is cut, as the mini-program's user would tap again),
//! paid through the channel's WeChat simulator with duplicated, delayed and late
//! notifications.

use std::time::Duration;

use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use tokio::time::Instant;

use crate::shop;

use super::plans::{Goods, Plan};
use super::wechat::{Payment, Wechat};

/// What became of a planned order on the client side.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub plan: Plan,
    pub order_number: Option<String>,
    /// Paid at the WeChat simulator (the pay call answered 200).
    pub paid: bool,
    /// Notifications WeChat retries until answered (see [`Wechat::pay`]).
    pub callbacks: u32,
    /// Why the client gave up on the order, if it did.
    pub error: Option<String>,
    /// Order-creation attempts (more than one: a retry after an instance died or the
    /// database was cut; an earlier attempt may have created an order that stays unpaid).
    pub create_attempts: u32,
    /// 401 answers to this customer's valid identity headers (a server fault, retried).
    pub unauthorized: u32,
    /// The server refused a step with a 4xx other than 401 (not retried).
    pub refused: bool,
}

impl Outcome {
    /// Nothing done yet.
    pub fn new(plan: Plan) -> Outcome {
        Outcome {
            plan,
            order_number: None,
            paid: false,
            callbacks: 0,
            error: None,
            create_attempts: 0,
            unauthorized: 0,
            refused: false,
        }
    }
}

/// The HTTP side: the instances, and the WeChat side's payer.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub instances: Vec<String>,
    pub wechat: Wechat,
    /// How long a user keeps retrying one step.
    pub patience: Duration,
    /// The ids of the points packages on sale, in the order of [`PACKAGES`] (none when the
    /// run buys no points).
    pub points_packages: Vec<i64>,
}

/// How a plan's order is made over HTTP; the same steps for both kinds of goods.
struct Purchase {
    /// The request that creates the order.
    path: &'static str,
    body: Value,
    /// Where the order's number is in the answer.
    number_of: fn(&Value) -> Option<String>,
    /// A top-up's payment is started by a request of its own; a points order's is started
    /// with the order.
    separate_payment: bool,
}

/// A step's answer: a 2xx body, a refusal (4xx, not retried), or nothing within the patience.
enum Reply {
    Ok(Value),
    Refused(u16, String),
    GaveUp(String),
}

impl Api {
    /// Sends `body` to `path` at random instances until one answers 2xx or 4xx.
    async fn user_post(
        &self,
        rng: &mut StdRng,
        openid: &str,
        path: &str,
        body: &Value,
        attempts: &mut u32,
        unauthorized: &mut u32,
    ) -> Reply {
        let started = Instant::now();
        let mut last = String::new();
        let mut pause = Duration::from_millis(100);
        while started.elapsed() < self.patience {
            *attempts += 1;
            let instance = &self.instances[rng.random_range(0..self.instances.len())];
            let request = self.http.post(format!("{instance}{path}"));
            let sent = shop::as_customer(request, "wx_chaos", openid)
                .json(body)
                .send()
                .await;
            match sent {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let text = response.text().await.unwrap_or_default();
                    if (200..300).contains(&status) {
                        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        return Reply::Ok(value);
                    }
                    // The identity headers are always valid: a 401 is the server's fault (it
                    // is counted and retried, as a user would tap again). 429 would be a
                    // rate limit: retried like a 5xx.
                    if status == 401 {
                        *unauthorized += 1;
                    } else if (400..500).contains(&status) && status != 429 && status != 408 {
                        return Reply::Refused(status, text);
                    }
                    last = format!(
                        "HTTP {status}: {}",
                        text.chars().take(200).collect::<String>()
                    );
                }
                Err(error) => last = error.to_string(),
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
        Reply::GaveUp(format!("gave up after {:?}: {last}", self.patience))
    }

    fn purchase(&self, plan: &Plan) -> Result<Purchase, String> {
        match plan.goods {
            Goods::TopUp(top_up) => Ok(Purchase {
                path: shop::CREATE_ORDER,
                body: shop::order_request(
                    &top_up.phone(plan.index),
                    top_up.name(),
                    top_up.product_code(),
                ),
                number_of: shop::created_order_number,
                separate_payment: true,
            }),
            Goods::Points(package) => {
                let id = self.points_packages.get(package).ok_or_else(|| {
                    format!("points package #{package} was not created for this run")
                })?;
                Ok(Purchase {
                    path: shop::CREATE_POINTS_ORDER,
                    body: shop::points_order_request(*id),
                    number_of: shop::created_points_order_number,
                    separate_payment: false,
                })
            }
        }
    }

    /// Creates the order and its payment; `Err` when the customer gave up.
    pub async fn prepare(&self, plan: &Plan, outcome: &mut Outcome) -> Result<String, String> {
        let purchase = self.purchase(plan)?;
        let mut rng = StdRng::seed_from_u64(plan.route_seed);
        let mut attempts = 0;
        let created = self
            .user_post(
                &mut rng,
                &plan.openid,
                purchase.path,
                &purchase.body,
                &mut attempts,
                &mut outcome.unauthorized,
            )
            .await;
        outcome.create_attempts = attempts;
        let number = match created {
            Reply::Ok(value) => {
                (purchase.number_of)(&value).ok_or_else(|| format!("no order number in {value}"))?
            }
            Reply::Refused(status, text) => {
                outcome.refused = true;
                return Err(format!("order refused: HTTP {status}: {text}"));
            }
            Reply::GaveUp(why) => return Err(format!("order not created: {why}")),
        };
        outcome.order_number = Some(number.clone());
        if !purchase.separate_payment {
            return Ok(number);
        }
        let mut attempts = 0;
        match self
            .user_post(
                &mut rng,
                &plan.openid,
                shop::CREATE_PAYMENT,
                &shop::payment_request(&number),
                &mut attempts,
                &mut outcome.unauthorized,
            )
            .await
        {
            Reply::Ok(_) => Ok(number),
            Reply::Refused(status, text) => {
                outcome.refused = true;
                Err(format!("payment refused: HTTP {status}: {text}"))
            }
            Reply::GaveUp(why) => Err(format!("payment not created: {why}")),
        }
    }

    /// Prepares one planned order: its outcome so far and, unless the customer gave up,
    /// its number, ready to be paid.
    pub async fn prepare_outcome(&self, plan: Plan) -> (Outcome, Option<String>) {
        let mut outcome = Outcome::new(plan.clone());
        match self.prepare(&plan, &mut outcome).await {
            Ok(number) => (outcome, Some(number)),
            Err(error) => {
                outcome.error = Some(error);
                (outcome, None)
            }
        }
    }

    /// [`Api::prepare_outcome`] for every plan, `concurrency` at a time.
    pub async fn prepare_all(
        &self,
        plans: Vec<Plan>,
        concurrency: usize,
    ) -> Vec<(Outcome, Option<String>)> {
        futures::stream::iter(plans)
            .map(|plan| self.prepare_outcome(plan))
            .buffer_unordered(concurrency)
            .collect()
            .await
    }

    /// The customer pays in the WeChat simulator; answers the notifications scheduled.
    pub async fn pay(&self, number: &str, payment: &Payment) -> Result<u32, String> {
        self.wechat.pay(&self.http, number, payment).await
    }

    /// Prepares and pays one planned order (main phase).
    pub async fn buy(&self, plan: Plan) -> Outcome {
        let (mut outcome, number) = self.prepare_outcome(plan).await;
        if let Some(number) = number {
            self.pay_prepared(&mut outcome, &number).await;
        }
        outcome
    }

    pub async fn pay_prepared(&self, outcome: &mut Outcome, number: &str) {
        let payment = Payment {
            copies: outcome.plan.copies,
            delay_ms: outcome.plan.delay_ms,
            late: false,
        };
        match self.pay(number, &payment).await {
            Ok(callbacks) => {
                outcome.paid = true;
                outcome.callbacks = callbacks;
            }
            Err(error) => outcome.error = Some(error),
        }
    }
}
