//! The access token: fetched with Basic credentials, reused for `token_ttl`, and
//! refreshed by exactly one caller at a time (the others wait for its result).

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

struct CachedToken {
    value: String,
    expires_at: Instant,
}

pub struct TokenCache {
    ttl: Duration,
    current: Mutex<Option<CachedToken>>,
}

impl TokenCache {
    pub fn new(ttl: Duration) -> TokenCache {
        TokenCache {
            ttl,
            current: Mutex::new(None),
        }
    }

    /// The cached token, or the one `fetch` returns. The lock is held while fetching,
    /// so concurrent callers share a single refresh.
    pub async fn get_or_fetch<F, Fut, E>(&self, fetch: F) -> Result<String, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<String, E>>,
    {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref()
            && token.expires_at > Instant::now()
        {
            return Ok(token.value.clone());
        }
        let value = fetch().await?;
        *current = Some(CachedToken {
            value: value.clone(),
            expires_at: Instant::now() + self.ttl,
        });
        Ok(value)
    }

    /// Forgets `rejected` if it is still the cached token; a token another caller has
    /// already replaced stays.
    pub async fn invalidate(&self, rejected: &str) {
        let mut current = self.current.lock().await;
        if current
            .as_ref()
            .is_some_and(|token| token.value == rejected)
        {
            *current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let cache = Arc::new(TokenCache::new(Duration::from_secs(60)));
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let cache = cache.clone();
            let fetches = fetches.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_fetch(|| async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, ()>("t1".to_owned())
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.expect("task ran"), Ok("t1".to_owned()));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn invalidating_a_replaced_token_keeps_the_new_one() {
        let cache = TokenCache::new(Duration::from_secs(60));
        let first = cache
            .get_or_fetch(|| async { Ok::<_, ()>("a".to_owned()) })
            .await;
        assert_eq!(first, Ok("a".to_owned()));
        cache.invalidate("a").await;
        let second = cache
            .get_or_fetch(|| async { Ok::<_, ()>("b".to_owned()) })
            .await;
        assert_eq!(second, Ok("b".to_owned()));
        cache.invalidate("a").await;
        let third = cache
            .get_or_fetch(|| async { Ok::<_, ()>("c".to_owned()) })
            .await;
        assert_eq!(third, Ok("b".to_owned()));
    }

    #[tokio::test]
    async fn an_expired_token_is_fetched_again_and_errors_are_not_cached() {
        let cache = TokenCache::new(Duration::ZERO);
        let first = cache
            .get_or_fetch(|| async { Ok::<_, ()>("a".to_owned()) })
            .await;
        assert_eq!(first, Ok("a".to_owned()));
        let failed = cache
            .get_or_fetch(|| async { Err::<String, _>("down") })
            .await;
        assert_eq!(failed, Err("down"));
        let again = cache
            .get_or_fetch(|| async { Ok::<_, ()>("b".to_owned()) })
            .await;
        assert_eq!(again, Ok("b".to_owned()));
    }
}
