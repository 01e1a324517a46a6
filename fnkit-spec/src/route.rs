//! HTTP routes as the `http` trigger declares them (`/users/{id}`, `/files/{path+}`), and the one
//! route table that chooses among them. The macro checks routes with [`Route::parse`]; the
//! emulator's gateway and fnkit's HTTP mode both route with [`RouteTable`], so a request reaches
//! the same function in both, in every process.
//!
//! The tie-break, when several routes match a request:
//! 1. segment by segment from the left, at the first segment where the routes differ, a literal
//!    beats a `{param}`, which beats a greedy `{param+}` (API Gateway's "most specific route");
//! 2. for routes of the same shape, a route of the request's method beats a `GET` route serving
//!    a `HEAD` request, which beats `ANY`.
//!
//! Two routes of the same shape and method would be chosen between by chance, so
//! [`RouteTable::new`] refuses them, naming both.

use std::collections::HashMap;
use std::fmt;

/// The methods a route may name; `ANY` matches every method.
pub const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

/// Why a route or method is refused. The messages are the macro's compile errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RouteError(String);

/// An HTTP method, upper-cased; `*` is `ANY`.
///
/// ```
/// assert_eq!(fnkit_spec::route::method("get").unwrap(), "GET");
/// assert!(fnkit_spec::route::method("FETCH").is_err());
/// ```
pub fn method(text: &str) -> Result<String, RouteError> {
    let upper = match text.to_ascii_uppercase() {
        star if star == "*" => "ANY".to_owned(),
        upper => upper,
    };
    if METHODS.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(RouteError(format!(
            "`{text}` is not an HTTP method; use one of {}",
            METHODS.join(", ")
        )))
    }
}

/// A checked route: literal segments, `{name}` parameters and a final greedy `{name+}`.
///
/// ```
/// use fnkit_spec::route::Route;
/// let route = Route::parse("/files/{bucket}/{key+}").unwrap();
/// let params = route.matches("/files/b1/a/b/c.txt").unwrap();
/// assert_eq!(params["bucket"], "b1");
/// assert_eq!(params["key"], "a/b/c.txt");
/// assert!(route.matches("/files/b1").is_none());
/// // Other routers' syntax is refused with the fix.
/// assert!(Route::parse("/users/:id").unwrap_err().to_string().contains("{id}"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    text: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

impl Segment {
    /// Literal 0, parameter 1, greedy 2: lower is more specific.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 0,
            Segment::Param(_) => 1,
            Segment::Greedy(_) => 2,
        }
    }
}

impl Route {
    /// Parses and checks a route.
    pub fn parse(text: &str) -> Result<Route, RouteError> {
        let err = |m: String| Err(RouteError(m));
        if !text.starts_with('/') {
            return err(format!("route `{text}` must start with `/`"));
        }
        if text.contains(['?', '#']) {
            return err(format!("route `{text}` must not hold a query or fragment; read query parameters from the request"));
        }
        if text == "/" {
            return Ok(Route {
                text: text.to_owned(),
                segments: Vec::new(),
            });
        }
        let parts: Vec<&str> = text[1..].split('/').collect();
        let mut segments = Vec::with_capacity(parts.len());
        let mut names: Vec<&str> = Vec::new();
        for (i, segment) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            if segment.is_empty() {
                return if last {
                    err(format!("route `{text}` must not end with `/`"))
                } else {
                    err(format!("route `{text}` has an empty segment (`//`)"))
                };
            }
            if let Some(name) = segment.strip_prefix(':') {
                return err(format!("route `{text}`: `{segment}` is another router's syntax; write the parameter as `{{{name}}}`"));
            }
            if *segment == "*" {
                return err(format!("route `{text}`: `*` is another router's syntax; write a greedy parameter as `{{path+}}`"));
            }
            let Some(inner) = segment.strip_prefix('{') else {
                if segment.contains(['{', '}']) {
                    return err(format!("route `{text}`: segment `{segment}` mixes text and a parameter; a parameter is a whole segment, e.g. `/users/{{id}}`"));
                }
                let url_safe = segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%".contains(c));
                if !url_safe {
                    return err(format!("route `{text}`: segment `{segment}` has characters a URL path cannot hold unescaped"));
                }
                segments.push(Segment::Literal((*segment).to_owned()));
                continue;
            };
            let Some(inner) = inner.strip_suffix('}') else {
                return err(format!("route `{text}`: segment `{segment}` opens `{{` without closing it; a parameter is a whole segment, e.g. `/users/{{id}}`"));
            };
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(name) => (name, true),
                None => (inner, false),
            };
            if greedy && !last {
                return err(format!(
                    "route `{text}`: the greedy parameter `{{{inner}}}` must be the last segment"
                ));
            }
            let ident_like = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !ident_like {
                return err(format!("route `{text}`: `{{{inner}}}` is not a parameter name; use letters, digits and `_`"));
            }
            if names.contains(&name) {
                return err(format!("route `{text}` names the parameter `{name}` twice"));
            }
            names.push(name);
            segments.push(if greedy {
                Segment::Greedy(name.to_owned())
            } else {
                Segment::Param(name.to_owned())
            });
        }
        Ok(Route {
            text: text.to_owned(),
            segments,
        })
    }

    /// The route as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The path parameters if `path` matches, percent-decoded.
    pub fn matches(&self, path: &str) -> Option<HashMap<String, String>> {
        let path = path.split(['?', '#']).next().unwrap_or(path);
        let mut parts = path.split('/').filter(|s| !s.is_empty()).peekable();
        let mut params = HashMap::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(lit) => {
                    if parts.next()? != lit {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    params.insert(name.clone(), decode(parts.next()?));
                }
                Segment::Greedy(name) => {
                    parts.peek()?;
                    let rest: Vec<&str> = parts.by_ref().collect();
                    params.insert(name.clone(), decode(&rest.join("/")));
                }
            }
        }
        parts.next().is_none().then_some(params)
    }

    /// The shape that decides priority and conflicts: segment kinds, and literal texts (which
    /// separate routes that never match the same path). Parameter names do not count.
    fn shape(&self) -> Vec<(u8, &str)> {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => (0, l.as_str()),
                other => (other.rank(), ""),
            })
            .collect()
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// One route of a table: a method, a route, the function it reaches and where that is defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    /// Upper-case method, or `ANY`.
    pub method: String,
    /// The route.
    pub route: Route,
    /// The function it reaches.
    pub function: String,
    /// Where the function is defined (`file:line`), for conflict messages.
    pub source: String,
}

/// Two routes that would match the same requests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("routes `{} {}` (function `{}`, {}) and `{} {}` (function `{}`, {}) match the same requests; change one of them", .first.method, .first.route, .first.function, .first.source, .second.method, .second.route, .second.function, .second.source)]
pub struct RouteConflict {
    /// One route.
    pub first: Box<RouteEntry>,
    /// The other.
    pub second: Box<RouteEntry>,
}

/// The routes of a set of functions, ordered once by the tie-break above.
///
/// ```
/// use fnkit_spec::route::{Route, RouteEntry, RouteTable};
/// let entry = |method: &str, path: &str, function: &str| RouteEntry {
///     method: method.into(), route: Route::parse(path).unwrap(),
///     function: function.into(), source: "src/main.rs:1".into(),
/// };
/// let table = RouteTable::new(vec![
///     entry("GET", "/users/{id}", "user"),
///     entry("GET", "/users/me", "me"),
///     entry("ANY", "/{path+}", "fallback"),
/// ]).unwrap();
/// assert_eq!(table.find("GET", "/users/me").unwrap().entry.function, "me");
/// assert_eq!(table.find("GET", "/users/7").unwrap().params["id"], "7");
/// assert_eq!(table.find("POST", "/users/7").unwrap().entry.function, "fallback");
/// ```
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    /// Sorted by shape; `shape_rank[i]` is the priority group of `entries[i]`.
    entries: Vec<RouteEntry>,
    shape_rank: Vec<usize>,
}

/// A route that matched a request.
#[derive(Debug)]
pub struct Found<'a> {
    /// The matching route and its function.
    pub entry: &'a RouteEntry,
    /// Its path parameters, percent-decoded.
    pub params: HashMap<String, String>,
}

/// How well a route's method fits a request's: lower is better, `None` does not fit.
fn method_rank(route: &str, request: &str) -> Option<u8> {
    if route == request {
        Some(0)
    } else if route == "GET" && request == "HEAD" {
        Some(1)
    } else if route == "ANY" {
        Some(2)
    } else {
        None
    }
}

impl RouteTable {
    /// Orders `entries` by the tie-break; refuses two routes of the same shape and method.
    pub fn new(mut entries: Vec<RouteEntry>) -> Result<RouteTable, RouteConflict> {
        entries.sort_by(|a, b| {
            a.route
                .shape()
                .cmp(&b.route.shape())
                .then_with(|| a.method.cmp(&b.method))
                .then_with(|| a.function.cmp(&b.function))
        });
        let mut shape_rank = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let same_shape = i > 0 && entries[i - 1].route.shape() == e.route.shape();
            if same_shape && entries[i - 1].method == e.method {
                return Err(RouteConflict {
                    first: Box::new(entries[i - 1].clone()),
                    second: Box::new(e.clone()),
                });
            }
            let rank = match shape_rank.last() {
                Some(&last) if same_shape => last,
                Some(&last) => last + 1,
                None => 0,
            };
            shape_rank.push(rank);
        }
        Ok(RouteTable {
            entries,
            shape_rank,
        })
    }

    /// The route `method path` reaches, if any.
    pub fn find(&self, method: &str, path: &str) -> Option<Found<'_>> {
        let mut best: Option<((usize, u8), Found<'_>)> = None;
        for (entry, &shape) in self.entries.iter().zip(&self.shape_rank) {
            if best.as_ref().is_some_and(|((s, _), _)| *s < shape) {
                break; // entries are sorted by shape: nothing later can win
            }
            let Some(rank) = method_rank(&entry.method, method) else {
                continue;
            };
            if best.as_ref().is_some_and(|(key, _)| *key <= (shape, rank)) {
                continue;
            }
            if let Some(params) = entry.route.matches(path) {
                best = Some(((shape, rank), Found { entry, params }));
            }
        }
        best.map(|(_, found)| found)
    }

    /// Every route, in priority order.
    pub fn entries(&self) -> &[RouteEntry] {
        &self.entries
    }

    /// Whether there are no routes.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(method: &str, path: &str, function: &str) -> RouteEntry {
        RouteEntry {
            method: method.to_owned(),
            route: Route::parse(path).unwrap(),
            function: function.to_owned(),
            source: format!("src/{function}.rs:1"),
        }
    }

    fn table(entries: Vec<RouteEntry>) -> RouteTable {
        RouteTable::new(entries).unwrap()
    }

    fn found(t: &RouteTable, method: &str, path: &str) -> Option<String> {
        t.find(method, path).map(|f| f.entry.function.clone())
    }

    #[test]
    fn routes_are_checked() {
        assert!(Route::parse("/").is_ok());
        assert!(Route::parse("/hello/{name}").is_ok());
        assert!(Route::parse("/files/{path+}").is_ok());
        for bad in [
            "hello",
            "/a//b",
            "/a/",
            "/a/{id",
            "/a/{p+}/b",
            "/a/{id}/{id}",
            "/a/x{id}",
            "/a?b=1",
            "/a/{1x}",
            "/a b",
        ] {
            assert!(Route::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn other_routers_syntax_gets_the_fix() {
        let e = Route::parse("/users/:id").unwrap_err().to_string();
        assert!(e.contains("`{id}`"), "{e}");
        let e = Route::parse("/files/*").unwrap_err().to_string();
        assert!(e.contains("{path+}"), "{e}");
    }

    #[test]
    fn matching_decodes_parameters() {
        let r = Route::parse("/hello/{name}").unwrap();
        assert_eq!(r.matches("/hello/ada%20l").unwrap()["name"], "ada l");
        assert!(r.matches("/hello").is_none());
        assert!(r.matches("/hello/a/b").is_none());
        assert!(Route::parse("/").unwrap().matches("/").unwrap().is_empty());
    }

    #[test]
    fn literals_beat_parameters_beat_greedy_segment_by_segment() {
        let t = table(vec![
            entry("GET", "/a/{x}/c", "param_then_literal"),
            entry("GET", "/a/b/{y}", "literal_then_param"),
            entry("GET", "/a/{rest+}", "greedy"),
        ]);
        assert_eq!(
            found(&t, "GET", "/a/b/c").as_deref(),
            Some("literal_then_param")
        );
        assert_eq!(
            found(&t, "GET", "/a/z/c").as_deref(),
            Some("param_then_literal")
        );
        assert_eq!(found(&t, "GET", "/a/z/q").as_deref(), Some("greedy"));
        assert_eq!(found(&t, "GET", "/b"), None);
    }

    #[test]
    fn the_order_of_declaration_does_not_matter() {
        let routes = [
            ("GET", "/a/{x}/c", "one"),
            ("GET", "/a/b/{y}", "two"),
            ("ANY", "/a/b/c", "three"),
        ];
        let forward = table(routes.iter().map(|(m, p, f)| entry(m, p, f)).collect());
        let backward = table(
            routes
                .iter()
                .rev()
                .map(|(m, p, f)| entry(m, p, f))
                .collect(),
        );
        for path in ["/a/b/c", "/a/z/c", "/a/b/z"] {
            assert_eq!(found(&forward, "GET", path), found(&backward, "GET", path));
        }
        assert_eq!(found(&forward, "GET", "/a/b/c").as_deref(), Some("three"));
    }

    #[test]
    fn methods_rank_exact_then_get_for_head_then_any() {
        let t = table(vec![
            entry("ANY", "/x", "any"),
            entry("GET", "/x", "get"),
            entry("HEAD", "/x", "head"),
        ]);
        assert_eq!(found(&t, "GET", "/x").as_deref(), Some("get"));
        assert_eq!(found(&t, "HEAD", "/x").as_deref(), Some("head"));
        assert_eq!(found(&t, "DELETE", "/x").as_deref(), Some("any"));
        let t = table(vec![entry("ANY", "/x", "any"), entry("GET", "/x", "get")]);
        assert_eq!(found(&t, "HEAD", "/x").as_deref(), Some("get"));
        let t = table(vec![entry("POST", "/x", "post")]);
        assert_eq!(found(&t, "GET", "/x"), None);
    }

    #[test]
    fn same_shape_and_method_is_a_conflict_naming_both() {
        let e = RouteTable::new(vec![
            entry("GET", "/users/{id}", "user"),
            entry("GET", "/users/{name}", "profile"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`GET /users/{name}` (function `profile`, src/profile.rs:1)"),
            "{e}"
        );
        assert!(
            e.contains("`GET /users/{id}` (function `user`, src/user.rs:1)"),
            "{e}"
        );
        // Different methods, or different literals, are no conflict.
        assert!(RouteTable::new(vec![
            entry("GET", "/users/{id}", "a"),
            entry("ANY", "/users/{id}", "b"),
            entry("GET", "/teams/{id}", "c"),
        ])
        .is_ok());
    }
}
