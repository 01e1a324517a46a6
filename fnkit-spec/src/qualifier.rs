//! What a function's name and qualifier say, as Lambda reads them: the function and qualifier a
//! name or ARN gives, and what a qualifier names (`$LATEST`, the alias [`crate::names::ALIAS`],
//! or the current version's number). The emulator's Invoke API and the durable engine's chained
//! invokes read them so.

/// What a qualifier names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Resolved {
    /// `$LATEST` (or no qualifier).
    #[default]
    Latest,
    /// A published version (by number or through the alias): its number.
    Version(u32),
}

impl Resolved {
    /// What `X-Amz-Executed-Version` says.
    pub fn executed(&self) -> String {
        match self {
            Resolved::Latest => "$LATEST".to_owned(),
            Resolved::Version(n) => n.to_string(),
        }
    }
}

/// The function and qualifier a path names: `name`, `name:qualifier`, or a full or partial ARN
/// with or without its qualifier, URL-decoded.
pub fn function_target(raw: &str) -> (String, Option<String>) {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned();
    let parts: Vec<&str> = decoded.split(':').collect();
    let (name, qualifier) = match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name, rest @ ..] => (*name, rest.first()),
        [_, "function", name, rest @ ..] => (*name, rest.first()),
        [name, qualifier] => (*name, Some(qualifier)),
        _ => return (decoded.clone(), None),
    };
    (name.to_owned(), qualifier.map(|q| (*q).to_owned()))
}

/// What `qualifier` names for a function whose current version is `current`, or `None` when it
/// names nothing (Lambda: `ResourceNotFoundException`).
pub fn resolve(qualifier: Option<&str>, current: u32) -> Option<Resolved> {
    match qualifier {
        None | Some("$LATEST") => Some(Resolved::Latest),
        Some(q) if q == crate::names::ALIAS => Some(Resolved::Version(current)),
        Some(q) if q == current.to_string() => Some(Resolved::Version(current)),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alias_and_the_current_number_name_the_running_build() {
        assert_eq!(resolve(None, 3), Some(Resolved::Latest));
        assert_eq!(resolve(Some("$LATEST"), 3), Some(Resolved::Latest));
        assert_eq!(resolve(Some("live"), 3), Some(Resolved::Version(3)));
        assert_eq!(resolve(Some("3"), 3), Some(Resolved::Version(3)));
        assert_eq!(resolve(Some("2"), 3), None, "an older build is gone");
        assert_eq!(resolve(Some("beta"), 3), None);
        assert_eq!(Resolved::Version(3).executed(), "3");
    }

    #[test]
    fn function_names_and_qualifiers_from_arns() {
        let t = |raw: &str| function_target(raw);
        assert_eq!(t("hello"), ("hello".to_owned(), None));
        assert_eq!(
            t("arn%3Aaws%3Alambda%3Aus-east-1%3A123%3Afunction%3Ahello"),
            ("hello".to_owned(), None)
        );
        assert_eq!(
            t("arn:aws:lambda:us-east-1:123:function:hello:$LATEST"),
            ("hello".to_owned(), Some("$LATEST".to_owned()))
        );
        assert_eq!(t("123:function:hello"), ("hello".to_owned(), None));
        assert_eq!(
            t("123:function:hello:7"),
            ("hello".to_owned(), Some("7".to_owned()))
        );
        assert_eq!(
            t("hello:live"),
            ("hello".to_owned(), Some("live".to_owned()))
        );
    }
}
