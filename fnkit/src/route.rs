//! HTTP routes as the `http` trigger declares them (`/users/{id}`, `/files/{path+}`), matched
//! against request paths. The runtime uses it to fill path parameters when the platform did not,
//! and the emulator's gateway to route requests.

use std::collections::HashMap;

/// A parsed route: literal segments, `{name}` parameters and a final greedy `{name+}`.
///
/// ```
/// use fnkit::route::Route;
/// let route = Route::parse("/files/{bucket}/{key+}");
/// let params = route.matches("/files/b1/a/b/c.txt").unwrap();
/// assert_eq!(params["bucket"], "b1");
/// assert_eq!(params["key"], "a/b/c.txt");
/// assert!(route.matches("/files/b1").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

impl Route {
    /// Parses a route the macro has already validated; anything else is matched literally.
    pub fn parse(path: &str) -> Route {
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => match name.strip_suffix('+') {
                        Some(name) => Segment::Greedy(name.to_owned()),
                        None => Segment::Param(name.to_owned()),
                    },
                    None => Segment::Literal(s.to_owned()),
                },
            )
            .collect();
        Route { segments }
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

    /// How specific the route is, for choosing among several matches: literal segments first.
    pub fn specificity(&self) -> (usize, usize) {
        let literals = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count();
        let greedy = self
            .segments
            .iter()
            .any(|s| matches!(s, Segment::Greedy(_)));
        (literals, usize::from(!greedy))
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_param_segments() {
        let r = Route::parse("/hello/{name}");
        assert_eq!(r.matches("/hello/ada%20l").unwrap()["name"], "ada l");
        assert!(r.matches("/hello").is_none());
        assert!(r.matches("/hello/a/b").is_none());
        assert!(r.matches("/bye/a").is_none());
        assert!(Route::parse("/").matches("/").unwrap().is_empty());
    }

    #[test]
    fn specificity_prefers_literals() {
        assert!(Route::parse("/a/b").specificity() > Route::parse("/a/{x}").specificity());
        assert!(Route::parse("/a/{x}").specificity() > Route::parse("/a/{x+}").specificity());
    }
}
