//! Where notifications go: one base URL, or several separated by commas, as if a load
//! balancer stood in front of several instances of the service. Each delivery attempt
//! picks one at random, so a dead instance is survived by the retries reaching a live one.

use rand::seq::IndexedRandom;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CallbackTargets {
    base_urls: Vec<String>,
}

impl CallbackTargets {
    /// `"http://a, http://b"`: trimmed, empty entries ignored.
    pub(crate) fn parse(raw: Option<&str>) -> CallbackTargets {
        let base_urls = raw
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .map(str::to_owned)
            .collect();
        CallbackTargets { base_urls }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.base_urls.is_empty()
    }

    /// The full URL of one attempt: a base URL picked at random, then the container path.
    pub(crate) fn pick_url(&self, path: &str) -> Option<String> {
        let base_url = self.base_urls.choose(&mut rand::rng())?;
        Some(format!("{}{path}", base_url.trim_end_matches('/')))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_comma_separated_list() {
        let targets = CallbackTargets::parse(Some(" http://a:1/ , ,http://b:2,"));
        assert_eq!(targets.base_urls, ["http://a:1/", "http://b:2"]);
        for _ in 0..20 {
            let url = targets.pick_url("/pay").expect("a target");
            assert!(url == "http://a:1/pay" || url == "http://b:2/pay", "{url}");
        }
    }

    #[test]
    fn a_single_url_is_always_picked_and_blanks_mean_none() {
        let single = CallbackTargets::parse(Some("http://a:1"));
        assert_eq!(single.pick_url("/pay").as_deref(), Some("http://a:1/pay"));
        assert!(CallbackTargets::parse(Some(" , ")).is_empty());
        assert!(CallbackTargets::parse(None).pick_url("/pay").is_none());
    }
}
