//! Product search: an in-process tantivy index with a Chinese tokenizer, behind the catalog's search port.
