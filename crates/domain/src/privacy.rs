//! Masking of personal data: the one place that decides what a phone number, an openid or
//! unionid, or a secret looks like in a log line, an error message or an admin list.
//!
//! Logs must never carry a full phone number, openid, unionid, token or secret; the types
//! that hold them ([`crate::msisdn::Msisdn`], [`crate::order::OpenId`]) print these masked
//! forms in `Debug` and through their `masked()` methods, and free text from outside (a
//! provider's error message) goes through [`scrub_phone_numbers`].

/// What a secret looks like anywhere it could be printed.
pub const SECRET_MASK: &str = "***";

/// Identifiers shorter than this are masked whole: their first and last characters would
/// give most of them away.
const SHORT_IDENTIFIER: usize = 10;

/// A phone number for logs and messages: the first half (at most 4 characters) kept, the
/// rest starred, e.g. `88112233` → `8811****`. Works on any input (a malformed number is
/// masked as well), counting characters, not bytes.
pub fn mask_phone(number: &str) -> String {
    let length = number.chars().count();
    let kept = (length / 2).min(4);
    number
        .chars()
        .take(kept)
        .chain(std::iter::repeat_n('*', length - kept))
        .collect()
}

/// An openid or unionid for logs: the first 4 and last 2 characters around an ellipsis,
/// e.g. `oPoo341Im-roYxAd3WD3D_6J-4bA` → `oPoo…bA`. A short identifier keeps only its
/// first character (`o-abc` → `o…`), an empty one stays empty.
pub fn mask_openid(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    match chars.len() {
        0 => String::new(),
        length if length < SHORT_IDENTIFIER => format!("{}…", chars[0]),
        length => {
            let head: String = chars[..4].iter().collect();
            let tail: String = chars[length - 2..].iter().collect();
            format!("{head}…{tail}")
        }
    }
}

/// A secret (password, token, key) for `Debug` and logs: nothing of it, only whether it is
/// set.
pub fn mask_secret(secret: &str) -> &'static str {
    if secret.is_empty() { "" } else { SECRET_MASK }
}

/// Free text (a provider's message, an answer's preview) with every standalone run of
/// exactly 8 ASCII digits — the shape of a Mongolian number — or of 11 digits starting
/// with 1 — a mainland mobile (the mall's addresses) — masked as [`mask_phone`] does. Longer or shorter digit runs (amounts, ids) are left alone; an 8-digit date such as
/// `20251018` is masked too, which costs a little legibility and never leaks a number.
pub fn scrub_phone_numbers(text: &str) -> String {
    let mut scrubbed = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, scrubbed: &mut String| {
        let mongolian = digits.len() == crate::msisdn::Msisdn::LENGTH;
        let mainland =
            digits.len() == crate::trade::orders::ChinaMobile::LENGTH && digits.starts_with('1');
        if mongolian || mainland {
            scrubbed.push_str(&mask_phone(digits));
        } else {
            scrubbed.push_str(digits);
        }
        digits.clear();
    };
    for character in text.chars() {
        if character.is_ascii_digit() {
            digits.push(character);
        } else {
            flush(&mut digits, &mut scrubbed);
            scrubbed.push(character);
        }
    }
    flush(&mut digits, &mut scrubbed);
    scrubbed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_keep_their_first_four_digits() {
        assert_eq!(mask_phone("88112233"), "8811****");
        assert_eq!(mask_phone("881122334"), "8811*****");
        assert_eq!(mask_phone("12ab"), "12**");
        assert_eq!(mask_phone("1"), "*");
        assert_eq!(mask_phone(""), "");
        // Characters, not bytes: no panic on multi-byte input.
        assert_eq!(mask_phone("８８１１２２３３"), "８８１１****");
    }

    #[test]
    fn mainland_mobiles_in_free_text_are_masked_too() {
        assert_eq!(
            scrub_phone_numbers("phone 13812345678 is invalid"),
            "phone 1381******* is invalid"
        );
        // Order numbers and timestamps are longer runs: left alone.
        assert_eq!(
            scrub_phone_numbers("ORD1760754386127x"),
            "ORD1760754386127x"
        );
        assert_eq!(scrub_phone_numbers("23812345678"), "23812345678");
    }

    #[test]
    fn openids_keep_four_characters_then_two() {
        assert_eq!(mask_openid("oPoo341Im-roYxAd3WD3D_6J-4bA"), "oPoo…bA");
        assert_eq!(mask_openid("o-test-openid"), "o-te…id");
        assert_eq!(mask_openid("o-abc"), "o…");
        assert_eq!(mask_openid(""), "");
        assert_eq!(mask_openid("éééééééééééé"), "éééé…éé");
    }

    #[test]
    fn secrets_show_nothing() {
        assert_eq!(mask_secret("s3cret"), "***");
        assert_eq!(mask_secret(""), "");
    }

    #[test]
    fn only_eight_digit_runs_are_scrubbed() {
        assert_eq!(
            scrub_phone_numbers("subscriber 88112233 not found"),
            "subscriber 8811**** not found"
        );
        assert_eq!(
            scrub_phone_numbers("88112233,99112233"),
            "8811****,9911****"
        );
        assert_eq!(
            scrub_phone_numbers("amount 1000000 seq 1234567890 on 20251018"),
            "amount 1000000 seq 1234567890 on 2025****"
        );
        assert_eq!(scrub_phone_numbers(""), "");
    }
}
