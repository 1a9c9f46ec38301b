//! One module per page (or family of pages); each mounts its own routes.

use actix_web::web;

mod admins;
mod audit;
mod charts;
mod context;
mod dashboard;
mod exchange_rate;
mod forms;
mod login;
mod notifications;
mod orders;
mod paging;
mod points;

pub fn configure(cfg: &mut web::ServiceConfig) {
    login::configure(cfg);
    dashboard::configure(cfg);
    orders::configure(cfg);
    notifications::configure(cfg);
    exchange_rate::configure(cfg);
    points::configure(cfg);
    admins::configure(cfg);
    audit::configure(cfg);
}
