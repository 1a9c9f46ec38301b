//! The run's orders, fixed in advance from the seed so that a run repeats: what each
//! customer buys (a top-up or a points package), in which phase, and how WeChat notifies it.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::options::Sizes;
use super::points::PACKAGES;

/// What a customer buys: the two kinds of goods on the payments core, made, paid, faulted
/// and audited the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goods {
    TopUp(TopUp),
    /// One of [`PACKAGES`] (by index), created by an admin at the start of the run.
    Points(usize),
}

impl Goods {
    pub fn name(self) -> &'static str {
        match self {
            Goods::TopUp(top_up) => top_up.name(),
            Goods::Points(_) => "points",
        }
    }

    pub fn is_points(self) -> bool {
        match self {
            Goods::TopUp(_) => false,
            Goods::Points(_) => true,
        }
    }
}

/// A top-up: one product per kind, each on its own number so that no order depends on
/// another (a postpaid bill stays owed, rate limits are per user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopUp {
    Voice,
    Data,
    Postpaid,
}

impl TopUp {
    pub fn name(self) -> &'static str {
        match self {
            TopUp::Voice => "voice",
            TopUp::Data => "data",
            TopUp::Postpaid => "postpaid",
        }
    }

    /// The last digit picks the simulated subscriber: 3 Smart Talk, 6 Smart Data,
    /// 9 postpaid owing 74 220 MNT.
    fn last_digit(self) -> u32 {
        match self {
            TopUp::Voice => 3,
            TopUp::Data => 6,
            TopUp::Postpaid => 9,
        }
    }

    pub fn product_code(self) -> Option<&'static str> {
        match self {
            TopUp::Voice => Some("ST3000"),
            TopUp::Data => Some("data3gb2d"),
            TopUp::Postpaid => None,
        }
    }

    /// The number plan `index` tops up.
    pub fn phone(self, index: usize) -> String {
        format!("88{:05}{}", index % 100_000, self.last_digit())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Paced orders while instances are killed and the database is cut.
    Main,
    /// Paid as fast as the simulator goes while an instance is killed.
    Burst,
    /// Left unpaid until the server closes them, then paid anyway.
    Late,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Main => "main",
            Phase::Burst => "burst",
            Phase::Late => "late",
        }
    }
}

/// One customer's order, fixed in advance from the seed so that a run repeats.
#[derive(Debug, Clone)]
pub struct Plan {
    pub index: usize,
    pub phase: Phase,
    pub goods: Goods,
    /// Notification copies WeChat delivers (1–3).
    pub copies: u32,
    /// Delay before the first delivery: later orders' notifications overtake this one.
    pub delay_ms: u64,
    pub openid: String,
    /// Seeds the instance choices of this order's requests.
    pub route_seed: u64,
}

/// Whether order `index` buys a points package: `points_percent` of the orders, evenly
/// spread so that every fault (the database cut, a kill, the burst) meets some, and the last
/// late order when any do.
fn buys_points(index: usize, points_percent: u32, late: usize) -> bool {
    let share = |orders: usize| orders * points_percent as usize / 100;
    share(index + 1) > share(index) || (points_percent > 0 && index + 1 == late)
}

/// The run's orders: points packages for [`buys_points`], top-ups for the others.
pub fn plans(seed: u64, sizes: Sizes, points_percent: u32) -> Vec<Plan> {
    let mut rng = StdRng::seed_from_u64(seed);
    let phases = std::iter::repeat_n(Phase::Late, sizes.late)
        .chain(std::iter::repeat_n(Phase::Main, sizes.main))
        .chain(std::iter::repeat_n(Phase::Burst, sizes.burst));
    phases
        .enumerate()
        .map(|(index, phase)| {
            let top_up = match rng.random_range(0..10) {
                0..=4 => TopUp::Voice,
                5..=7 => TopUp::Data,
                _ => TopUp::Postpaid,
            };
            let package = rng.random_range(0..PACKAGES.len());
            let copies = match rng.random_range(0..10) {
                0..=5 => 1,
                6..=8 => 2,
                _ => 3,
            };
            // One order in five is notified late enough for later ones to overtake it.
            let delay_ms = if rng.random_bool(0.2) {
                rng.random_range(200..3000)
            } else {
                0
            };
            Plan {
                index,
                phase,
                goods: if buys_points(index, points_percent, sizes.late) {
                    Goods::Points(package)
                } else {
                    Goods::TopUp(top_up)
                },
                copies,
                delay_ms,
                openid: format!("o-chaos-{seed}-{index}"),
                route_seed: rng.random(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn sizes(main: usize, burst: usize, late: usize) -> Sizes {
        Sizes {
            instances: 3,
            main,
            burst,
            late,
            db_cut: Duration::from_secs(6),
            main_target: Duration::from_secs(20),
            kills_in_main: false,
        }
    }

    fn points_in(plans: &[Plan], phase: Phase) -> usize {
        plans
            .iter()
            .filter(|plan| plan.phase == phase && plan.goods.is_points())
            .count()
    }

    #[test]
    fn a_share_of_every_phase_buys_points_and_the_last_late_order_does() {
        let plans = plans(7, sizes(2370, 600, 30), 10);
        assert_eq!(plans.len(), 3000);
        assert_eq!(points_in(&plans, Phase::Main), 237);
        assert_eq!(points_in(&plans, Phase::Burst), 60);
        assert_eq!(points_in(&plans, Phase::Late), 3);
        assert!(plans[29].goods.is_points(), "the last late order");
        let short = super::plans(7, sizes(237, 60, 3), 10);
        assert_eq!(
            points_in(&short, Phase::Late),
            1,
            "under ten late orders: the last"
        );
        assert!(short[2].goods.is_points());
        // Any ten orders in a row (the customers in flight when the database is cut) hold one.
        assert!(
            plans
                .windows(10)
                .all(|run| run.iter().any(|plan| plan.goods.is_points()))
        );
        assert!(plans.iter().all(|plan| match plan.goods {
            Goods::Points(package) => package < PACKAGES.len(),
            Goods::TopUp(_) => true,
        }));
        let both_packages = [0, 1].map(|package| {
            plans
                .iter()
                .any(|plan| plan.goods == Goods::Points(package))
        });
        assert_eq!(both_packages, [true, true]);
    }

    #[test]
    fn no_points_at_zero_percent_and_the_same_seed_plans_the_same_run() {
        let none = plans(7, sizes(237, 60, 3), 0);
        assert!(none.iter().all(|plan| !plan.goods.is_points()));
        let again = plans(7, sizes(237, 60, 3), 0);
        let goods = |plans: &[Plan]| plans.iter().map(|plan| plan.goods).collect::<Vec<_>>();
        assert_eq!(goods(&none), goods(&again));
        let all = plans(7, sizes(237, 60, 3), 100);
        assert!(all.iter().all(|plan| plan.goods.is_points()));
    }
}
