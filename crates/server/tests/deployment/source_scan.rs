//! Finds the environment variables Rust source reads, from its tokens (comments skipped,
//! strings kept whole), so that a name in a comment or a doc string is not taken for a read.
//!
//! A read is one of:
//! - a call of a reader — `get`, `lookup`, `parse_or`, `parse_bool`, `duration` (the
//!   configuration's helpers over the environment), `var`, `var_os` (`std::env`) — that is
//!   not a method call, whose first argument (after an optional `get,`/`&get,`, the lookup
//!   being passed along) is a string literal or a `const` holding one;
//! - clap's `env = "NAME"`.
//!
//! Items under `#[cfg(test)]` are skipped: tests set variables to exercise the readers.

use std::collections::{BTreeMap, BTreeSet};

const READERS: &[&str] = &[
    "get",
    "lookup",
    "parse_or",
    "parse_bool",
    "duration",
    "var",
    "var_os",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Ident(String),
    Str(String),
    Punct(char),
}

/// Whether `text` looks like an environment variable's name: `PORT`, `DATABASE_URL`.
pub fn is_variable_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|first| first.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The variables `source` reads.
pub fn variables_read(source: &str) -> BTreeSet<String> {
    let tokens = without_test_items(&tokenize(source));
    let constants = string_constants(&tokens);
    let mut found = BTreeSet::new();
    for (at, token) in tokens.iter().enumerate() {
        let Token::Ident(name) = token else { continue };
        let method = at > 0 && tokens[at - 1] == Token::Punct('.');
        if READERS.contains(&name.as_str())
            && !method
            && tokens.get(at + 1) == Some(&Token::Punct('('))
        {
            if let Some(variable) = first_argument(&tokens[at + 2..], &constants) {
                found.insert(variable);
            }
        } else if name == "env"
            && tokens.get(at + 1) == Some(&Token::Punct('='))
            && let Some(Token::Str(value)) = tokens.get(at + 2)
            && is_variable_name(value)
        {
            found.insert(value.clone());
        }
    }
    found
}

/// The variable named by a reader's first argument, if it names one.
fn first_argument(arguments: &[Token], constants: &BTreeMap<String, String>) -> Option<String> {
    let mut rest = arguments;
    if rest.first() == Some(&Token::Punct('&')) {
        rest = &rest[1..];
    }
    // `parse_or(get, "NAME", ..)`: the lookup passed along comes first.
    if let [Token::Ident(_), Token::Punct(','), after @ ..] = rest {
        rest = after;
    }
    match rest.first()? {
        Token::Str(value) => is_variable_name(value).then(|| value.clone()),
        Token::Ident(_) => {
            // A path such as `crate::KEYS_VARIABLE`: its last segment names the constant.
            let mut last = None;
            for token in rest {
                match token {
                    Token::Ident(segment) => last = Some(segment),
                    Token::Punct(':') => {}
                    _ => break,
                }
            }
            constants.get(last?.as_str()).cloned()
        }
        Token::Punct(_) => None,
    }
}

/// `const NAME: &str = "VALUE";` (and `static`) whose value looks like a variable.
fn string_constants(tokens: &[Token]) -> BTreeMap<String, String> {
    let mut constants = BTreeMap::new();
    for window in tokens.windows(7) {
        if let [
            Token::Ident(keyword),
            Token::Ident(name),
            Token::Punct(':'),
            Token::Punct('&'),
            Token::Ident(ty),
            Token::Punct('='),
            Token::Str(value),
        ] = window
            && (keyword == "const" || keyword == "static")
            && ty == "str"
            && is_variable_name(value)
        {
            constants.insert(name.clone(), value.clone());
        }
    }
    constants
}

/// The tokens without the items marked `#[cfg(test)]`.
fn without_test_items(tokens: &[Token]) -> Vec<Token> {
    let marker = [
        Token::Punct('#'),
        Token::Punct('['),
        Token::Ident("cfg".to_owned()),
        Token::Punct('('),
        Token::Ident("test".to_owned()),
        Token::Punct(')'),
        Token::Punct(']'),
    ];
    let mut kept = Vec::with_capacity(tokens.len());
    let mut at = 0;
    while at < tokens.len() {
        if tokens[at..].starts_with(&marker) {
            at = end_of_item(tokens, at + marker.len());
        } else {
            kept.push(tokens[at].clone());
            at += 1;
        }
    }
    kept
}

/// Where the item starting at `at` ends: after its `;` or its outermost `{ ... }`.
fn end_of_item(tokens: &[Token], mut at: usize) -> usize {
    let mut depth = 0usize;
    while at < tokens.len() {
        match tokens[at] {
            Token::Punct('{' | '[' | '(') => depth += 1,
            Token::Punct('}' | ']' | ')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 && tokens[at] == Token::Punct('}') {
                    return at + 1;
                }
            }
            Token::Punct(';') if depth == 0 => return at + 1,
            _ => {}
        }
        at += 1;
    }
    at
}

/// Rust tokens, roughly: identifiers (numbers too), string literals (their raw text) and
/// single punctuation characters; comments and char literals are dropped.
pub fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        let next = chars.get(at + 1).copied();
        if c.is_whitespace() {
            at += 1;
        } else if c == '/' && next == Some('/') {
            while at < chars.len() && chars[at] != '\n' {
                at += 1;
            }
        } else if c == '/' && next == Some('*') {
            at = skip_block_comment(&chars, at);
        } else if c == '"' {
            let (text, end) = quoted(&chars, at + 1);
            tokens.push(Token::Str(text));
            at = end;
        } else if c == '\'' {
            at = skip_char_literal(&chars, at);
        } else if c.is_alphanumeric() || c == '_' {
            let start = at;
            while at < chars.len() && (chars[at].is_alphanumeric() || chars[at] == '_') {
                at += 1;
            }
            let word: String = chars[start..at].iter().collect();
            let prefix = matches!(word.as_str(), "r" | "b" | "br" | "c" | "cr");
            match chars.get(at) {
                Some('"' | '#') if prefix && word.contains('r') => {
                    let (text, end) = raw_string(&chars, at);
                    tokens.push(Token::Str(text));
                    at = end;
                }
                Some('"') if prefix => {
                    let (text, end) = quoted(&chars, at + 1);
                    tokens.push(Token::Str(text));
                    at = end;
                }
                _ => tokens.push(Token::Ident(word)),
            }
        } else {
            tokens.push(Token::Punct(c));
            at += 1;
        }
    }
    tokens
}

/// The text of a string whose opening quote is just before `at`, and where it ends.
fn quoted(chars: &[char], mut at: usize) -> (String, usize) {
    let mut text = String::new();
    while at < chars.len() {
        match chars[at] {
            '\\' => {
                text.extend(chars.get(at..at + 2).unwrap_or_default());
                at += 2;
            }
            '"' => return (text, at + 1),
            other => {
                text.push(other);
                at += 1;
            }
        }
    }
    (text, at)
}

/// `r#"..."#` starting at its hashes (or quote); the text and where it ends.
fn raw_string(chars: &[char], mut at: usize) -> (String, usize) {
    let mut hashes = 0;
    while chars.get(at) == Some(&'#') {
        hashes += 1;
        at += 1;
    }
    if chars.get(at) != Some(&'"') {
        // `r#ident`: a raw identifier, not a string.
        return (String::new(), at);
    }
    at += 1;
    let start = at;
    while at < chars.len() {
        if chars[at] == '"' && (1..=hashes).all(|n| chars.get(at + n) == Some(&'#')) {
            return (chars[start..at].iter().collect(), at + 1 + hashes);
        }
        at += 1;
    }
    (chars[start..].iter().collect(), at)
}

fn skip_block_comment(chars: &[char], mut at: usize) -> usize {
    let mut depth = 0;
    while at + 1 < chars.len() {
        match (chars[at], chars[at + 1]) {
            ('/', '*') => {
                depth += 1;
                at += 2;
            }
            ('*', '/') => {
                depth -= 1;
                at += 2;
                if depth == 0 {
                    return at;
                }
            }
            _ => at += 1,
        }
    }
    chars.len()
}

/// A char literal (`'x'`, `'\n'`, `'\u{1F600}'`) is skipped whole; a lifetime's quote alone.
fn skip_char_literal(chars: &[char], at: usize) -> usize {
    match (chars.get(at + 1), chars.get(at + 2)) {
        (Some('\\'), _) => {
            // Past the backslash and the escaped character, which may be a quote.
            let mut end = at + 3;
            while end < chars.len() && chars[end] != '\'' {
                end += 1;
            }
            end + 1
        }
        (Some(_), Some('\'')) => at + 3,
        _ => at + 1,
    }
}
