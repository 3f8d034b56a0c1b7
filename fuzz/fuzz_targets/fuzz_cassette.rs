//! `fuzz_cassette`: `spaps_conformance::cassette::parse_corpus` on arbitrary bytes, and the
//! accessors a replaying server then calls on what it accepted.
#![no_main]

use spaps_conformance::cassette::{parse_corpus, Corpus};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    match parse_corpus(data) {
        Ok(Corpus::Cassette(cassette)) => {
            for step in &cassette.steps {
                let _ = cassette.setup_for(step);
                let _ = step.outcome_ok();
                for exchange in &step.exchanges {
                    let _ = exchange.request.header("x-api-key");
                    let recorded = &exchange.response;
                    let _ = recorded.content_type();
                    let _ = recorded.body_bytes();
                    // parse_corpus validated the status and the headers, so the replay
                    // server's conversion keeps them.
                    let response = recorded.to_http();
                    assert_eq!(response.status().as_u16(), recorded.status);
                    assert_eq!(response.headers().len(), recorded.headers.len());
                }
            }
        }
        Ok(Corpus::Vectors(vectors)) => {
            for vector in &vectors.vectors {
                // parse_corpus checked every body.
                assert!(vector.body_bytes().is_ok());
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
