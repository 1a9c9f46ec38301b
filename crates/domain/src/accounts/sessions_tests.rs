use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::Duration;

use super::*;
use crate::accounts::session_fakes::{InMemorySessions, MovableClock, PlainCodec};
use crate::ports::{MockClock, RepositoryError};
use crate::testing::t0;

fn service() -> (SessionService, InMemorySessions, MovableClock) {
    let repository = InMemorySessions::default();
    let clock = MovableClock::at(t0());
    let service = SessionService::new(
        Arc::new(repository.clone()),
        Arc::new(PlainCodec),
        Arc::new(clock.clone()),
        SessionTtls::default(),
    );
    (service, repository, clock)
}

#[tokio::test]
async fn start_issues_a_pair_with_the_audience_lifetimes() {
    let (service, repository, _) = service();
    let shopper = service.start(Audience::Shopper, "o-1").await.unwrap();
    assert_eq!(shopper.tokens.access_expires_at, t0() + Duration::hours(2));
    assert_eq!(shopper.tokens.refresh_expires_at, t0() + Duration::days(7));
    assert_eq!(shopper.subject, "o-1");
    assert_eq!(shopper.tokens.refresh_token.len(), RefreshToken::LEN);

    let admin = service.start(Audience::Admin, "42").await.unwrap();
    assert_eq!(admin.tokens.access_expires_at, t0() + Duration::minutes(15));
    assert_ne!(admin.session, shopper.session);

    // Only the hash is stored.
    let stored = repository.session(&shopper.session).unwrap();
    assert_eq!(stored.subject, "o-1");
    let hash = RefreshToken::parse(&shopper.tokens.refresh_token)
        .unwrap()
        .hash();
    assert_ne!(hash.as_str(), shopper.tokens.refresh_token);
    let (token, _) = repository.find_token(&hash).await.unwrap().unwrap();
    assert_eq!(token.session, shopper.session);
}

#[tokio::test]
async fn refresh_rotates_and_the_old_token_is_spent() {
    let (service, _, clock) = service();
    let first = service.start(Audience::Shopper, "o-1").await.unwrap();
    clock.advance(Duration::hours(1));
    let second = service
        .refresh(Audience::Shopper, &first.tokens.refresh_token)
        .await
        .unwrap();
    assert_eq!(second.session, first.session);
    assert_ne!(second.tokens.refresh_token, first.tokens.refresh_token);
    assert_eq!(
        second.tokens.refresh_expires_at,
        t0() + Duration::hours(1) + Duration::days(7)
    );
    // The successor works and its access token authenticates.
    let claims = service
        .authenticate(&second.tokens.access_token, Audience::Shopper)
        .await
        .unwrap();
    assert_eq!(claims.subject, "o-1");
    let third = service
        .refresh(Audience::Shopper, &second.tokens.refresh_token)
        .await
        .unwrap();
    assert_eq!(third.session, first.session);
}

#[tokio::test]
async fn reusing_a_rotated_token_revokes_the_whole_family() {
    let (service, repository, _) = service();
    let first = service.start(Audience::Shopper, "o-1").await.unwrap();
    let second = service
        .refresh(Audience::Shopper, &first.tokens.refresh_token)
        .await
        .unwrap();

    let reused = service
        .refresh(Audience::Shopper, &first.tokens.refresh_token)
        .await;
    assert!(matches!(reused, Err(SessionError::Reused)), "{reused:?}");
    let stored = repository.session(&first.session).unwrap();
    assert_eq!(stored.revoked_reason, Some(RevocationReason::Reuse));

    // The successor (perhaps the thief's) dies with the family, and so do access tokens.
    let successor = service
        .refresh(Audience::Shopper, &second.tokens.refresh_token)
        .await;
    assert!(
        matches!(successor, Err(SessionError::Ended)),
        "{successor:?}"
    );
    let access = service
        .authenticate(&second.tokens.access_token, Audience::Shopper)
        .await;
    assert!(matches!(access, Err(SessionError::Ended)), "{access:?}");
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_leave_one_winner_and_a_dead_family() {
    let (service, _, _) = service();
    let service = Arc::new(service);
    let first = service.start(Audience::Shopper, "o-1").await.unwrap();
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let service = Arc::clone(&service);
            let token = first.tokens.refresh_token.clone();
            tokio::spawn(async move { service.refresh(Audience::Shopper, &token).await })
        })
        .collect();
    let mut won = Vec::new();
    for attempt in attempts {
        if let Ok(issued) = attempt.await.unwrap() {
            won.push(issued);
        }
    }
    assert!(won.len() <= 1, "one token rotated {} times", won.len());
    // Whoever won, the family ends: the token was presented twice.
    if let Some(winner) = won.first() {
        let after = service
            .refresh(Audience::Shopper, &winner.tokens.refresh_token)
            .await;
        assert!(after.is_err());
    }
}

#[tokio::test]
async fn an_expired_refresh_token_is_refused_without_revoking() {
    let (service, repository, clock) = service();
    let first = service.start(Audience::Shopper, "o-1").await.unwrap();
    clock.advance(Duration::days(7));
    let expired = service
        .refresh(Audience::Shopper, &first.tokens.refresh_token)
        .await;
    assert!(matches!(expired, Err(SessionError::Expired)), "{expired:?}");
    assert!(
        repository
            .session(&first.session)
            .unwrap()
            .revoked_at
            .is_none()
    );
}

#[tokio::test]
async fn an_expired_access_token_is_refused() {
    let (service, _, clock) = service();
    let first = service.start(Audience::Shopper, "o-1").await.unwrap();
    clock.advance(Duration::hours(2));
    let result = service
        .authenticate(&first.tokens.access_token, Audience::Shopper)
        .await;
    assert!(matches!(result, Err(SessionError::Expired)), "{result:?}");
}

#[tokio::test]
async fn logout_ends_the_session_for_access_and_refresh_tokens() {
    let (service, repository, _) = service();
    let by_session = service.start(Audience::Shopper, "o-1").await.unwrap();
    service
        .logout(
            Audience::Shopper,
            LogoutCredential::Session(by_session.session.clone()),
        )
        .await
        .unwrap();
    let access = service
        .authenticate(&by_session.tokens.access_token, Audience::Shopper)
        .await;
    assert!(matches!(access, Err(SessionError::Ended)));
    let refresh = service
        .refresh(Audience::Shopper, &by_session.tokens.refresh_token)
        .await;
    assert!(matches!(refresh, Err(SessionError::Ended)));
    // Idempotent.
    service
        .logout(
            Audience::Shopper,
            LogoutCredential::Session(by_session.session.clone()),
        )
        .await
        .unwrap();
    assert_eq!(
        repository
            .session(&by_session.session)
            .unwrap()
            .revoked_reason,
        Some(RevocationReason::Logout)
    );

    let by_refresh = service.start(Audience::Shopper, "o-1").await.unwrap();
    service
        .logout(
            Audience::Shopper,
            LogoutCredential::RefreshToken(by_refresh.tokens.refresh_token.clone()),
        )
        .await
        .unwrap();
    assert!(
        service
            .authenticate(&by_refresh.tokens.access_token, Audience::Shopper)
            .await
            .is_err()
    );
    // By access token: twice is fine, the second finds the session already ended.
    let by_access = service.start(Audience::Shopper, "o-1").await.unwrap();
    for _ in 0..2 {
        service
            .logout(
                Audience::Shopper,
                LogoutCredential::AccessToken(by_access.tokens.access_token.clone()),
            )
            .await
            .unwrap();
    }
    assert!(matches!(
        service
            .refresh(Audience::Shopper, &by_access.tokens.refresh_token)
            .await,
        Err(SessionError::Ended)
    ));
    assert!(matches!(
        service
            .logout(
                Audience::Admin,
                LogoutCredential::AccessToken(by_access.tokens.access_token.clone()),
            )
            .await,
        Err(SessionError::WrongAudience)
    ));

    let unknown = service
        .logout(
            Audience::Shopper,
            LogoutCredential::RefreshToken(RefreshToken::generate().expose().to_owned()),
        )
        .await;
    assert!(matches!(unknown, Err(SessionError::InvalidToken)));
}

#[tokio::test]
async fn tokens_of_one_audience_do_not_open_the_other() {
    let (service, _, _) = service();
    let shopper = service.start(Audience::Shopper, "o-1").await.unwrap();
    let as_admin = service
        .authenticate(&shopper.tokens.access_token, Audience::Admin)
        .await;
    assert!(matches!(as_admin, Err(SessionError::WrongAudience)));
    let refresh_as_admin = service
        .refresh(Audience::Admin, &shopper.tokens.refresh_token)
        .await;
    assert!(matches!(refresh_as_admin, Err(SessionError::WrongAudience)));
    let logout_as_admin = service
        .logout(
            Audience::Admin,
            LogoutCredential::RefreshToken(shopper.tokens.refresh_token.clone()),
        )
        .await;
    assert!(matches!(logout_as_admin, Err(SessionError::WrongAudience)));
    // Nothing of the shopper's was spent or ended.
    service
        .refresh(Audience::Shopper, &shopper.tokens.refresh_token)
        .await
        .unwrap();
}

#[tokio::test]
async fn malformed_and_unknown_tokens_are_invalid() {
    let (service, repository, _) = service();
    for bad in ["", "short", &"Z".repeat(64)] {
        let result = service.refresh(Audience::Shopper, bad).await;
        assert!(matches!(result, Err(SessionError::InvalidToken)), "{bad}");
    }
    let unknown = RefreshToken::generate();
    assert!(matches!(
        service.refresh(Audience::Shopper, unknown.expose()).await,
        Err(SessionError::InvalidToken)
    ));
    assert!(matches!(
        service.authenticate("garbage", Audience::Shopper).await,
        Err(SessionError::InvalidToken)
    ));
    // A well-signed token for a session that does not exist.
    let forged = PlainCodec
        .issue(&AccessClaims {
            audience: Audience::Shopper,
            subject: "o-1".into(),
            session: SessionId::generate(),
            issued_at: t0(),
            expires_at: t0() + Duration::hours(1),
        })
        .unwrap();
    assert!(matches!(
        service.authenticate(&forged, Audience::Shopper).await,
        Err(SessionError::InvalidToken)
    ));
    assert_eq!(repository.token_count(), 0);
}

#[tokio::test]
async fn authenticate_reads_the_session_once_and_storage_failures_surface() {
    let (service, repository, _) = service();
    let issued = service.start(Audience::Shopper, "o-1").await.unwrap();
    let before = repository.session_reads.load(Ordering::SeqCst);
    service
        .authenticate(&issued.tokens.access_token, Audience::Shopper)
        .await
        .unwrap();
    assert_eq!(repository.session_reads.load(Ordering::SeqCst), before + 1);

    repository.storage_down.store(true, Ordering::SeqCst);
    let down = service
        .authenticate(&issued.tokens.access_token, Audience::Shopper)
        .await;
    assert!(matches!(
        down,
        Err(SessionError::Storage(RepositoryError::Unavailable(_)))
    ));
    let refresh = service
        .refresh(Audience::Shopper, &issued.tokens.refresh_token)
        .await;
    assert!(matches!(refresh, Err(SessionError::Storage(_))));
}

#[tokio::test]
async fn revoke_all_ends_every_session_of_the_subject_only() {
    let (service, _, _) = service();
    let one = service.start(Audience::Admin, "7").await.unwrap();
    let two = service.start(Audience::Admin, "7").await.unwrap();
    let other = service.start(Audience::Admin, "8").await.unwrap();
    let shopper_seven = service.start(Audience::Shopper, "7").await.unwrap();
    let ended = service
        .revoke_all(Audience::Admin, "7", RevocationReason::AccountChanged)
        .await
        .unwrap();
    assert_eq!(ended, 2);
    for issued in [&one, &two] {
        assert!(
            service
                .authenticate(&issued.tokens.access_token, Audience::Admin)
                .await
                .is_err()
        );
    }
    service
        .authenticate(&other.tokens.access_token, Audience::Admin)
        .await
        .unwrap();
    service
        .authenticate(&shopper_seven.tokens.access_token, Audience::Shopper)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_rotation_lost_to_a_logout_reports_the_session_ended() {
    let mut repository = MockSessionRepository::new();
    let session = StoredSession {
        id: SessionId::generate(),
        audience: Audience::Shopper,
        subject: "o-1".into(),
        created_at: t0(),
        expires_at: t0() + Duration::days(7),
        revoked_at: None,
        revoked_reason: None,
    };
    let token = RefreshToken::generate();
    let row = StoredRefreshToken {
        hash: token.hash(),
        session: session.id.clone(),
        issued_at: t0(),
        expires_at: t0() + Duration::days(7),
        revoked_at: None,
    };
    let found = (row, session);
    repository
        .expect_find_token()
        .returning(move |_| Ok(Some(found.clone())));
    repository
        .expect_rotate()
        .returning(|_, _, _| Ok(CasOutcome::Lost));
    // The logout got there first: revoking again changes nothing.
    repository
        .expect_revoke_session()
        .returning(|_, _, _| Ok(CasOutcome::Lost));
    let mut clock = MockClock::new();
    clock.expect_now().returning(t0);
    let service = SessionService::new(
        Arc::new(repository),
        Arc::new(PlainCodec),
        Arc::new(clock),
        SessionTtls::default(),
    );
    let result = service.refresh(Audience::Shopper, token.expose()).await;
    assert!(matches!(result, Err(SessionError::Ended)), "{result:?}");
}

#[test]
fn refresh_tokens_are_random_hidden_and_hashed_stably() {
    let one = RefreshToken::generate();
    let two = RefreshToken::generate();
    assert_ne!(one, two);
    assert_eq!(
        one.hash(),
        RefreshToken::parse(one.expose()).unwrap().hash()
    );
    assert_ne!(one.hash(), two.hash());
    assert!(!format!("{one:?}").contains(one.expose()));
    // The stored hash is plain SHA-256 hex: it must not change between releases.
    let known = RefreshToken::parse(&"a".repeat(64)).unwrap();
    assert_eq!(
        known.hash().as_str(),
        "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"
    );
    assert_eq!(known.hash().as_str().len(), TokenHash::LEN);
    for reason in RevocationReason::ALL {
        assert_eq!(reason.as_str().parse::<RevocationReason>(), Ok(reason));
    }
}
