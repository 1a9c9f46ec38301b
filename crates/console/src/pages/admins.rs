//! Admin accounts (super admins only): the list, a new account, a role or display name
//! changed, an account disabled or enabled, a password reset. The same use cases as
//! `/admin/admins`: creating through the admin service, changes through the admin sessions,
//! which end the sessions a change invalidates. Every change is audited by the use case.

mod actions;
mod list;

use actix_web::web;
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admins", web::get().to(list::list))
        .route("/admins", web::post().to(actions::create))
        .route("/admins/{id}", web::post().to(actions::update))
        .route("/admins/{id}/enabled", web::post().to(actions::set_enabled))
        .route(
            "/admins/{id}/password",
            web::post().to(actions::reset_password),
        );
}

/// The page of the list (`?page=N`); actions carry it so that the list they answer is the
/// one the operator was looking at.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PageQuery {
    page: String,
}
