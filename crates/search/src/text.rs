//! Chinese text: jieba in search mode when indexing (a word and the dictionary words inside
//! it, so 运动鞋 is also found by 运动), precise mode for the query (whole words, each of
//! which must match), both lower-cased so Latin letters match in any case.

use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, TextAnalyzer};
use tantivy_jieba::JiebaTokenizer;

/// Tokens longer than this many bytes are dropped (runs of garbage, never a real word).
const LONGEST_TOKEN: usize = 64;

pub(crate) fn index_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(JiebaTokenizer::with_search_mode(true))
        .filter(RemoveLongFilter::limit(LONGEST_TOKEN))
        .filter(LowerCaser)
        .build()
}

pub(crate) fn query_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(JiebaTokenizer::with_search_mode(false))
        .filter(RemoveLongFilter::limit(LONGEST_TOKEN))
        .filter(LowerCaser)
        .build()
}

/// The distinct words of a query, in order; spaces and punctuation are not words.
pub(crate) fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let token = &stream.token().text;
        if token.chars().any(char::is_alphanumeric) && !words.contains(token) {
            words.push(token.clone());
        }
    }
    words
}
