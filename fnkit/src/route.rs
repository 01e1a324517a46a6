//! HTTP routes as the `http` trigger declares them (`/users/{id}`, `/files/{path+}`), and the
//! route table both fnkit's HTTP mode and the emulator's gateway choose routes with (one
//! tie-break: literal beats `{param}` beats `{param+}`, segment by segment from the left; then
//! the request's own method beats `ANY`). Re-exported from `fnkit-spec`.
//!
//! ```
//! use fnkit::route::Route;
//! let route = Route::parse("/files/{bucket}/{key+}").unwrap();
//! let params = route.matches("/files/b1/a/b/c.txt").unwrap();
//! assert_eq!(params["key"], "a/b/c.txt");
//! ```

pub use fnkit_spec::route::*;
