use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::*;
use crate::{INDEX_KEY_VARIABLE, KEYS_VARIABLE};

fn key(byte: u8) -> [u8; KEY_BYTES] {
    [byte; KEY_BYTES]
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn ring(keys: &[(&str, u8)]) -> Keyring {
    let keys: Vec<(&str, [u8; KEY_BYTES])> = keys.iter().map(|(id, b)| (*id, key(*b))).collect();
    Keyring::with_keys(&keys, &key(9)).unwrap()
}

fn lookup(pairs: &[(&'static str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs = pairs.to_vec();
    move |name| {
        pairs
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, value)| value.clone())
    }
}

#[test]
fn round_trip() {
    let keyring = ring(&[("k1", 1)]);
    let stored = keyring.seal_phone("88112233");
    assert_eq!(stored.key_id, "k1");
    assert_eq!(stored.masked, "8811****");
    assert!(!stored.cipher.contains("88112233"));
    assert_eq!(
        keyring.open_phone("k1", &stored.cipher).unwrap(),
        "88112233"
    );
}

#[test]
fn each_seal_has_its_own_nonce() {
    let keyring = ring(&[("k1", 1)]);
    let first = keyring.seal_phone("88112233");
    let second = keyring.seal_phone("88112233");
    assert_ne!(first.cipher, second.cipher);
    // The index is deterministic: that is what makes lookups work.
    assert_eq!(first.index, second.index);
    assert_eq!(first.index.len(), 32);
}

#[test]
fn the_wrong_key_fails() {
    let sealed = ring(&[("k1", 1)]).seal_phone("88112233");
    // Same id, other key material.
    assert_eq!(
        ring(&[("k1", 2)]).open_phone("k1", &sealed.cipher),
        Err(CipherError::Inauthentic("k1".to_owned()))
    );
    // A key id nobody configured.
    assert_eq!(
        ring(&[("k2", 1)]).open_phone("k1", &sealed.cipher),
        Err(CipherError::UnknownKey("k1".to_owned()))
    );
}

#[test]
fn tampered_ciphertext_fails() {
    let keyring = ring(&[("k1", 1)]);
    let sealed = keyring.seal_phone("88112233");
    let mut bytes = STANDARD.decode(&sealed.cipher).unwrap();
    for position in [0, NONCE_BYTES, bytes.len() - 1] {
        bytes[position] ^= 0x01;
        assert_eq!(
            keyring.open_phone("k1", &b64(&bytes)),
            Err(CipherError::Inauthentic("k1".to_owned())),
            "flipped byte {position}"
        );
        bytes[position] ^= 0x01;
    }
    assert_eq!(keyring.open_phone("k1", &b64(&bytes)).unwrap(), "88112233");
    assert_eq!(
        keyring.open_phone("k1", "not base64!"),
        Err(CipherError::Malformed)
    );
    assert_eq!(
        keyring.open_phone("k1", &b64(&bytes[..20])),
        Err(CipherError::Malformed)
    );
}

#[test]
fn a_value_sealed_for_another_field_does_not_open_as_a_phone() {
    let keyring = ring(&[("k1", 1)]);
    let (key_id, sealed) = keyring.seal("88112233", "addresses.line");
    assert_eq!(
        keyring.open_phone(&key_id, &sealed),
        Err(CipherError::Inauthentic("k1".to_owned()))
    );
    assert_eq!(
        keyring.open(&key_id, &sealed, "addresses.line").unwrap(),
        "88112233"
    );
}

#[test]
fn rotation_seals_with_the_new_key_and_still_opens_the_old() {
    let before = ring(&[("k1", 1)]);
    let old = before.seal_phone("88112233");
    let after = ring(&[("k2", 2), ("k1", 1)]);
    assert_eq!(after.current_key_id(), "k2");
    assert!(after.is_stale(&old.key_id));
    assert_eq!(
        after.open_phone(&old.key_id, &old.cipher).unwrap(),
        "88112233"
    );
    let new = after.seal_phone("88112233");
    assert_eq!(new.key_id, "k2");
    assert!(!after.is_stale(&new.key_id));
    // The index key did not change, so lookups find old and new rows alike.
    assert_eq!(old.index, new.index);
    // Once k1 is retired, only re-sealed rows open.
    let retired = ring(&[("k2", 2)]);
    assert!(retired.open_phone(&old.key_id, &old.cipher).is_err());
    assert_eq!(retired.open_phone("k2", &new.cipher).unwrap(), "88112233");
}

#[test]
fn the_index_depends_on_its_key_and_kind() {
    let keyring = ring(&[("k1", 1)]);
    let other_index = Keyring::with_keys(&[("k1", key(1))], &key(8)).unwrap();
    assert_ne!(
        keyring.phone_index("88112233"),
        other_index.phone_index("88112233")
    );
    assert_ne!(
        keyring.phone_index("88112233"),
        keyring.phone_index("88112234")
    );
    assert_ne!(
        keyring.phone_index("88112233"),
        keyring.blind_index("address", "88112233")
    );
    assert_eq!(
        keyring.phone_index(" 88112233 "),
        keyring.phone_index("88112233")
    );
}

#[test]
fn configuration_is_parsed_current_first() {
    let keyring = Keyring::from_lookup(
        lookup(&[
            (
                KEYS_VARIABLE,
                format!("k2:{}, k1:{}", b64(&key(2)), b64(&key(1))),
            ),
            (INDEX_KEY_VARIABLE, b64(&key(9))),
        ]),
        true,
    )
    .unwrap();
    assert_eq!(keyring.key_ids(), vec!["k2", "k1"]);
    assert!(!keyring.uses_development_keys());
    let sealed = ring(&[("k1", 1)]).seal_phone("88112233");
    assert_eq!(
        keyring.open_phone("k1", &sealed.cipher).unwrap(),
        "88112233"
    );
}

#[test]
fn production_requires_both_keys_and_names_them() {
    let keys = (KEYS_VARIABLE, format!("k1:{}", b64(&key(1))));
    let index = (INDEX_KEY_VARIABLE, b64(&key(9)));
    let missing_keys = Keyring::from_lookup(lookup(std::slice::from_ref(&index)), true);
    assert!(
        matches!(missing_keys, Err(KeyConfigError::MissingInProduction { name, .. }) if name == KEYS_VARIABLE)
    );
    let missing_index = Keyring::from_lookup(lookup(std::slice::from_ref(&keys)), true);
    assert!(
        matches!(missing_index, Err(KeyConfigError::MissingInProduction { name, .. }) if name == INDEX_KEY_VARIABLE)
    );
    for (variable, bad) in [
        (KEYS_VARIABLE, format!("k1:{}", b64(&[1; 16]))),
        (KEYS_VARIABLE, "k1".to_owned()),
        (KEYS_VARIABLE, format!("k 1:{}", b64(&key(1)))),
        (KEYS_VARIABLE, format!("k1:{0},k1:{0}", b64(&key(1)))),
        (KEYS_VARIABLE, "k1:%%%".to_owned()),
        (KEYS_VARIABLE, format!("dev:{}", b64(&key(1)))),
        (KEYS_VARIABLE, format!("k1:{}", b64(DEVELOPMENT_DATA_KEY))),
        (INDEX_KEY_VARIABLE, b64(&[9; 31])),
        (INDEX_KEY_VARIABLE, b64(DEVELOPMENT_INDEX_KEY)),
    ] {
        let pairs = if variable == KEYS_VARIABLE {
            [(KEYS_VARIABLE, bad.clone()), index.clone()]
        } else {
            [keys.clone(), (INDEX_KEY_VARIABLE, bad.clone())]
        };
        match Keyring::from_lookup(lookup(&pairs), true) {
            Err(KeyConfigError::Invalid { name, reason }) => {
                assert_eq!(name, variable, "{bad}");
                // The error never repeats key material.
                assert!(!reason.contains(&bad) || bad == "k1", "{reason}");
            }
            other => panic!("{variable}={bad} accepted: {other:?}"),
        }
    }
}

#[test]
fn development_falls_back_to_labelled_public_keys() {
    let keyring = Keyring::from_lookup(lookup(&[]), false).unwrap();
    assert!(keyring.uses_development_keys());
    assert_eq!(keyring.current_key_id(), "dev");
    let dev_sealed = Keyring::development().seal_phone("88112233");
    // Configured keys seal; the development key still opens what it sealed before.
    let configured = Keyring::from_lookup(
        lookup(&[(KEYS_VARIABLE, format!("k1:{}", b64(&key(1))))]),
        false,
    )
    .unwrap();
    assert_eq!(configured.key_ids(), vec!["k1", "dev"]);
    assert_eq!(
        configured.open_phone("dev", &dev_sealed.cipher).unwrap(),
        "88112233"
    );
}

#[test]
fn debug_shows_key_ids_only() {
    let printed = format!("{:?}", ring(&[("k2", 2), ("k1", 1)]));
    assert!(printed.contains("\"k2\""), "{printed}");
    assert!(!printed.contains(&b64(&key(2))), "{printed}");
    assert!(!printed.contains("[2, 2"), "{printed}");
}
