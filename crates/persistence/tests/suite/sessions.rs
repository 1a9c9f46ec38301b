//! Sessions, refresh-token rotation and shopper profiles on every backend.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use elife_domain::accounts::profile::{Gender, Profile};
use elife_domain::accounts::sessions::{
    RefreshToken, RevocationReason, SessionRepository, StoredRefreshToken, StoredSession,
};
use elife_domain::accounts::tokens::{Audience, SessionId};
use elife_domain::order::OpenId;
use elife_domain::ports::{CasOutcome, UserRepository, WechatIdentity};
use elife_domain::testing::t0;
use elife_persistence::entities::refresh_tokens;
use elife_persistence::{SeaOrmSessionRepository, SeaOrmUserRepository};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::common::TestDb;

fn session(audience: Audience, subject: &str) -> StoredSession {
    StoredSession {
        id: SessionId::generate(),
        audience,
        subject: subject.to_owned(),
        created_at: t0(),
        expires_at: t0() + TimeDelta::days(7),
        revoked_at: None,
        revoked_reason: None,
    }
}

fn token(session: &StoredSession, issued_at: DateTime<Utc>) -> (RefreshToken, StoredRefreshToken) {
    let secret = RefreshToken::generate();
    let row = StoredRefreshToken {
        hash: secret.hash(),
        session: session.id.clone(),
        issued_at,
        expires_at: issued_at + TimeDelta::days(7),
        revoked_at: None,
    };
    (secret, row)
}

#[tokio::test]
async fn a_session_and_its_first_token_round_trip() {
    let test = TestDb::new().await;
    let repository = SeaOrmSessionRepository::new(test.db.clone());
    let stored = session(Audience::Shopper, "o-1");
    let (secret, first) = token(&stored, t0());
    repository.create(&stored, &first).await.unwrap();

    let (found_token, found_session) = repository
        .find_token(&secret.hash())
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(found_token, first);
    assert_eq!(found_session, stored);
    assert_eq!(
        repository.find_session(&stored.id).await.unwrap(),
        Some(stored.clone())
    );
    assert_eq!(
        repository
            .find_token(&RefreshToken::generate().hash())
            .await
            .unwrap(),
        None
    );
    // Only the hash is in the table.
    let hashes = test
        .strings("SELECT token_hash FROM refresh_tokens", vec![])
        .await;
    assert_eq!(hashes, vec![secret.hash().as_str().to_owned()]);
    assert!(!hashes.contains(&secret.expose().to_owned()));
}

#[tokio::test]
async fn a_token_hash_is_unique() {
    let test = TestDb::new().await;
    let repository = SeaOrmSessionRepository::new(test.db.clone());
    let one = session(Audience::Shopper, "o-1");
    let (_, first) = token(&one, t0());
    repository.create(&one, &first).await.unwrap();
    let two = session(Audience::Shopper, "o-2");
    let copy = StoredRefreshToken {
        session: two.id.clone(),
        ..first.clone()
    };
    assert!(repository.create(&two, &copy).await.is_err());
    // The failed create left no session behind (one transaction).
    assert_eq!(repository.find_session(&two.id).await.unwrap(), None);
}

#[tokio::test]
async fn rotation_spends_the_token_once_and_extends_the_session() {
    let test = TestDb::new().await;
    let repository = SeaOrmSessionRepository::new(test.db.clone());
    let stored = session(Audience::Shopper, "o-1");
    let (first_secret, first) = token(&stored, t0());
    repository.create(&stored, &first).await.unwrap();

    let later = t0() + TimeDelta::hours(1);
    let (second_secret, second) = token(&stored, later);
    assert_eq!(
        repository
            .rotate(&first.hash, &second, later)
            .await
            .unwrap(),
        CasOutcome::Won
    );
    let (spent, _) = repository
        .find_token(&first_secret.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spent.revoked_at, Some(later));
    let (live, extended) = repository
        .find_token(&second_secret.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.revoked_at, None);
    assert_eq!(extended.expires_at, second.expires_at);

    // The spent token cannot rotate again: nothing is written.
    let (third_secret, third) = token(&stored, later);
    assert_eq!(
        repository.rotate(&first.hash, &third, later).await.unwrap(),
        CasOutcome::Lost
    );
    assert_eq!(
        repository.find_token(&third_secret.hash()).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn concurrent_rotations_of_one_token_have_one_winner() {
    let test = TestDb::new().await;
    let repository = Arc::new(SeaOrmSessionRepository::new(test.db.clone()));
    let stored = session(Audience::Shopper, "o-1");
    let (_, first) = token(&stored, t0());
    repository.create(&stored, &first).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let repository = Arc::clone(&repository);
            let presented = first.hash.clone();
            let (_, successor) = token(&stored, t0() + TimeDelta::minutes(1));
            tokio::spawn(async move {
                repository
                    .rotate(&presented, &successor, t0() + TimeDelta::minutes(1))
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(CasOutcome::Won) => won += 1,
            Ok(CasOutcome::Lost) => {}
            // A backend may abort a loser (deadlock/serialisation): never a second winner.
            Err(error) => eprintln!("a rotation failed: {error}"),
        }
    }
    assert_eq!(won, 1);
    // The first token and the winner's successor.
    let count = refresh_tokens::Entity::find()
        .count(&test.db)
        .await
        .unwrap();
    assert_eq!(count, 2);
}

#[tokio::test]
async fn a_revoked_session_refuses_rotation_and_revocation_is_idempotent() {
    let test = TestDb::new().await;
    let repository = SeaOrmSessionRepository::new(test.db.clone());
    let stored = session(Audience::Shopper, "o-1");
    let (_, first) = token(&stored, t0());
    repository.create(&stored, &first).await.unwrap();
    let at = t0() + TimeDelta::minutes(5);
    assert_eq!(
        repository
            .revoke_session(&stored.id, RevocationReason::Logout, at)
            .await
            .unwrap(),
        CasOutcome::Won
    );
    assert_eq!(
        repository
            .revoke_session(&stored.id, RevocationReason::Reuse, at)
            .await
            .unwrap(),
        CasOutcome::Lost
    );
    let ended = repository.find_session(&stored.id).await.unwrap().unwrap();
    assert_eq!(ended.revoked_at, Some(at));
    // The first reason stays.
    assert_eq!(ended.revoked_reason, Some(RevocationReason::Logout));

    let (_, successor) = token(&stored, at);
    assert_eq!(
        repository
            .rotate(&first.hash, &successor, at)
            .await
            .unwrap(),
        CasOutcome::Lost
    );
    // The rollback left the presented token unspent.
    let (unspent, _) = repository.find_token(&first.hash).await.unwrap().unwrap();
    assert_eq!(unspent.revoked_at, None);
    assert_eq!(
        repository
            .revoke_session(&SessionId::generate(), RevocationReason::Logout, at)
            .await
            .unwrap(),
        CasOutcome::Lost
    );
}

#[tokio::test]
async fn revoking_a_subject_ends_only_its_live_sessions() {
    let test = TestDb::new().await;
    let repository = SeaOrmSessionRepository::new(test.db.clone());
    let mut ids = Vec::new();
    for (audience, subject) in [
        (Audience::Admin, "7"),
        (Audience::Admin, "7"),
        (Audience::Admin, "8"),
        (Audience::Shopper, "7"),
    ] {
        let stored = session(audience, subject);
        let (_, first) = token(&stored, t0());
        repository.create(&stored, &first).await.unwrap();
        ids.push(stored.id);
    }
    let ended = repository
        .revoke_subject(Audience::Admin, "7", RevocationReason::AccountChanged, t0())
        .await
        .unwrap();
    assert_eq!(ended, 2);
    let revoked: Vec<bool> =
        futures::future::join_all(ids.iter().map(|id| repository.find_session(id)))
            .await
            .into_iter()
            .map(|found| found.unwrap().unwrap().revoked_at.is_some())
            .collect();
    assert_eq!(revoked, vec![true, true, false, false]);
}

#[tokio::test]
async fn purge_deletes_only_expired_rows() {
    let test = TestDb::new().await;
    let repository = SeaOrmSessionRepository::new(test.db.clone());
    let old = StoredSession {
        expires_at: t0() + TimeDelta::days(1),
        ..session(Audience::Shopper, "o-old")
    };
    let (_, old_token) = token(&old, t0());
    let old_token = StoredRefreshToken {
        expires_at: old.expires_at,
        ..old_token
    };
    repository.create(&old, &old_token).await.unwrap();
    let live = session(Audience::Shopper, "o-live");
    let (_, live_token) = token(&live, t0());
    repository.create(&live, &live_token).await.unwrap();

    let removed = repository
        .purge_expired(t0() + TimeDelta::days(2))
        .await
        .unwrap();
    assert_eq!(removed, 2);
    assert_eq!(repository.find_session(&old.id).await.unwrap(), None);
    assert!(repository.find_session(&live.id).await.unwrap().is_some());
}

#[tokio::test]
async fn profiles_are_stored_and_read_back() {
    let test = TestDb::new().await;
    let users = SeaOrmUserRepository::new(test.db.clone());
    let openid = OpenId::parse("o-profile").unwrap();
    let created = users
        .upsert(
            &WechatIdentity {
                openid: openid.clone(),
                unionid: Some("u-profile".into()),
                appid: Some("wx-app".into()),
            },
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(created.profile, Profile::default());
    assert_eq!(users.find(&openid).await.unwrap(), Some(created.clone()));
    assert_eq!(
        users.find_by_unionid("u-profile").await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(users.find_by_unionid("u-nobody").await.unwrap(), None);

    // Emoji need four bytes per character on MySQL (utf8mb4).
    let profile = Profile {
        nickname: Some("小明😀".repeat(8)),
        avatar_url: Some(format!("https://thirdwx.qlogo.cn/{}", "a".repeat(480))),
        gender: Some(Gender::Female),
    };
    let later = t0() + TimeDelta::minutes(1);
    let updated = users
        .update_profile(&openid, &profile, later)
        .await
        .unwrap()
        .expect("exists");
    assert_eq!(updated.profile, profile);
    assert_eq!(updated.updated_at, later);
    assert_eq!(updated.created_at, t0());
    assert_eq!(users.find(&openid).await.unwrap().unwrap().profile, profile);

    // An upsert (a login) leaves the profile alone.
    let again = users
        .upsert(
            &WechatIdentity {
                openid: openid.clone(),
                unionid: None,
                appid: Some("wx-other".into()),
            },
            later,
        )
        .await
        .unwrap();
    assert_eq!(again.profile, profile);

    let cleared = users
        .update_profile(&openid, &Profile::default(), later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cleared.profile, Profile::default());
    assert_eq!(
        users
            .update_profile(&OpenId::parse("o-nobody").unwrap(), &profile, later)
            .await
            .unwrap(),
        None
    );
}
