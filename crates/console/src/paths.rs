//! Where the console lives; every link is built from these.

pub const ROOT: &str = "/console";
pub const HOME: &str = "/console/";
pub const LOGIN: &str = "/console/login";
pub const LOGOUT: &str = "/console/logout";
pub const ASSETS: &str = "/console/assets";
