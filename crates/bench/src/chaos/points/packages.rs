//! The packages on sale during a run, created by an admin (the `ADMIN_TOKEN` break-glass
//! credential the servers are started with) before the customers come.

use crate::shop;

use super::super::error::ChaosError;

/// A package as the run puts it on sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageSpec {
    pub name: &'static str,
    pub amount_fen: i64,
    pub points: i64,
    pub bonus_points: i64,
}

/// One package with bonus points and one without: a paid order posts a bonus row exactly
/// when its package has a bonus.
pub const PACKAGES: [PackageSpec; 2] = [
    PackageSpec {
        name: "chaos 100 + 20",
        amount_fen: 100,
        points: 100,
        bonus_points: 20,
    },
    PackageSpec {
        name: "chaos 30",
        amount_fen: 30,
        points: 30,
        bonus_points: 0,
    },
];

/// Creates [`PACKAGES`] through the admin API of the instance at `instance_url`; their
/// ids, in the same order.
pub async fn put_on_sale(
    http: &reqwest::Client,
    instance_url: &str,
    admin_token: &str,
) -> Result<Vec<i64>, ChaosError> {
    let url = format!("{instance_url}{}", shop::ADMIN_POINTS_PACKAGES);
    let mut ids = Vec::with_capacity(PACKAGES.len());
    for (sort_order, package) in (0_i32..).zip(PACKAGES.iter()) {
        let body = shop::points_package_request(
            package.name,
            package.amount_fen,
            package.points,
            package.bonus_points,
            sort_order,
        );
        let response = shop::as_admin(http.post(&url), admin_token)
            .json(&body)
            .send()
            .await
            .map_err(|source| ChaosError::Unreachable {
                url: url.clone(),
                source,
            })?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let id = status
            .is_success()
            .then(|| serde_json::from_str(&text).ok())
            .flatten()
            .and_then(|answer| shop::created_package_id(&answer));
        match id {
            Some(id) => ids.push(id),
            None => {
                return Err(ChaosError::PointsPackage {
                    url,
                    status,
                    text: text.chars().take(300).collect(),
                });
            }
        }
    }
    Ok(ids)
}
