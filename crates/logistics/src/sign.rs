//! Kuaidi100's request signature: MD5 of `param + key + customer`, as 32 uppercase hex
//! digits.

use md5::{Digest, Md5};

pub fn sign(param: &str, key: &str, customer: &str) -> String {
    let mut hasher = Md5::new();
    hasher.update(param.as_bytes());
    hasher.update(key.as_bytes());
    hasher.update(customer.as_bytes());
    hex::encode_upper(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_the_uppercase_md5_of_the_concatenation() {
        // MD5("abc") = 900150983cd24fb0d6963f7d28e17f72.
        assert_eq!(sign("a", "b", "c"), "900150983CD24FB0D6963F7D28E17F72");
        assert_eq!(sign("", "", "").len(), 32);
    }
}
