//! Path safety on every endpoint, driven by the corpus: each endpoint with a path
//! parameter is built from the arguments of its cassettes, then each parameter in turn is
//! made hostile. (The client-level cases are in spaps-testkit's `edges.rs`.)

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use spaps_conformance::cassette::{load_paths, Corpus};
use spaps_proto::api::{visit, Visitor};
use spaps_proto::{
    CallOptions, ClientState, Config, Endpoint, Error, Now, Output, Timestamp, Tokens,
};

/// Every endpoint with a path parameter, built from the arguments of its cassettes with
/// each parameter in turn set to `""`, `.` and `..`: the core refuses the call with
/// `InvalidArgument` naming that parameter, before anything is sent (its first output
/// is `Done`, never `Send`). The same parameter holding `/ ? # %` goes out as one
/// encoded segment.
#[test]
fn every_path_parameter_refuses_empty_and_dot_segments() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cassettes");
    // Endpoint name -> its path template and the parameters checked.
    let mut checked: BTreeMap<&'static str, (&'static str, Vec<String>)> = BTreeMap::new();
    for (_, item) in load_paths(&[root]).expect("the cassettes load") {
        let Corpus::Cassette(cassette) = item else {
            continue;
        };
        for step in &cassette.steps {
            let name = format!("{}.{}", step.call.client, step.call.method);
            let mut args = step.call.args.clone();
            args.remove("access_token");
            args.remove("access_token_override");
            if let Some(Some((endpoint, template, params))) = visit(&name, PathParams { args }) {
                checked.insert(endpoint, (template, params));
            }
        }
    }
    for (endpoint, (template, params)) in &checked {
        let placeholders: Vec<&str> = template
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(p, _)| p))
            .collect();
        assert_eq!(
            placeholders, *params,
            "{endpoint} {template}: not every path parameter was checked"
        );
    }
    // Every `RequestSpec::param` site in spaps-proto/src/api (32 when this was written).
    assert!(
        checked.len() >= 32,
        "only {} endpoints: {checked:?}",
        checked.len()
    );
}

/// Checks one endpoint (see [`every_path_parameter_refuses_empty_and_dot_segments`]):
/// `None` when the arguments do not build it or it has no path parameter.
struct PathParams {
    args: Map<String, Value>,
}

impl Visitor for PathParams {
    type Out = Option<(&'static str, &'static str, Vec<String>)>;

    fn visit<E>(self) -> Self::Out
    where
        E: Endpoint + DeserializeOwned,
        E::Output: Serialize,
    {
        let build = |args: &Map<String, Value>| -> Option<E> {
            serde_json::from_value(Value::Object(args.clone())).ok()
        };
        let spec = build(&self.args)?.request().ok()?.validate().ok()?;
        let template = spec.template();
        if !template.contains('{') {
            return None;
        }
        let mut params = Vec::new();
        for param in template
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(p, _)| p))
        {
            assert!(
                self.args.get(param).is_some_and(Value::is_string),
                "{}: the path parameter `{param}` is not a string argument",
                E::NAME
            );
            for hostile in ["", ".", ".."] {
                let mut args = self.args.clone();
                args.insert(param.to_owned(), Value::from(hostile));
                let endpoint = build(&args).expect("the same arguments with another id");
                match first_output(endpoint) {
                    Err(Error::InvalidArgument { name, .. }) => assert_eq!(
                        name,
                        param,
                        "{} with {param} = {hostile:?} blames another argument",
                        E::NAME
                    ),
                    other => panic!(
                        "{} with {param} = {hostile:?}: {other:?} instead of a local error",
                        E::NAME
                    ),
                }
            }
            let mut args = self.args.clone();
            args.insert(param.to_owned(), Value::from("a/b?c#d%e.."));
            let endpoint = build(&args).expect("the same arguments with another id");
            match first_output(endpoint) {
                Ok(uri) => assert!(
                    uri.contains("/a%2Fb%3Fc%23d%25e..") && !uri.contains("/../"),
                    "{}: {uri}",
                    E::NAME
                ),
                Err(e) => panic!("{} refused an ordinary id: {e:?}", E::NAME),
            }
            params.push(param.to_owned());
        }
        Some((E::NAME, template, params))
    }
}

/// Polls a fresh call of `endpoint` once: the URI it would send, or the error it ends with.
fn first_output<E: Endpoint>(endpoint: E) -> Result<String, Error> {
    let config = Config::new("https://h").unwrap().with_api_key("k");
    let mut state = ClientState::new(config, 1);
    state.load_tokens(Some(Tokens::new("at")));
    let now = Now::new(
        Instant::now(),
        Timestamp::from_unix_seconds(1_736_942_400).unwrap(),
    );
    match state
        .call(endpoint, CallOptions::default())
        .poll(now, &mut state)
    {
        Output::Send(request) => Ok(request.uri().to_string()),
        Output::Done(Err(e)) => Err(e),
        Output::Done(Ok(_)) => panic!("done without sending anything"),
        _ => panic!("an unexpected first output"),
    }
}
