//! `State<T>` in-process: values added with `Runtime::state`, made by async set-ups that
//! `Runtime::setup` runs, a set-up's failure as a typed error, and an invocation refused while
//! set-ups are pending.

use fnkit::prelude::*;
use fnkit::testing::invoke_with;
use serde_json::json;

struct Greeting {
    word: String,
}
struct Punctuation {
    mark: char,
}

#[function]
async fn greet(name: String, greeting: State<Greeting>, mark: State<Punctuation>) -> String {
    format!("{}, {name}{}", greeting.word, mark.mark)
}

async fn load_greeting() -> Greeting {
    tokio::task::yield_now().await;
    Greeting {
        word: "hello".into(),
    }
}

#[tokio::test]
async fn async_state_is_made_by_setup_then_served() {
    let runtime = fnkit::Runtime::new()
        .state(Punctuation { mark: '!' })
        .state_async(load_greeting());
    let pending = invoke_with(&runtime, "greet", "ada").await.unwrap_err();
    assert_eq!(pending.error_type(), "Runtime.SetupPending");
    let ready = runtime.setup().await.unwrap();
    assert_eq!(
        invoke_with(&ready, "greet", "ada").await.unwrap(),
        json!("hello, ada!")
    );
}

#[tokio::test]
async fn a_failed_setup_names_its_error_type() {
    let failing = async { Err::<Greeting, std::io::Error>(std::io::Error::other("no network")) };
    let err = fnkit::Runtime::new()
        .try_state_async(failing)
        .setup()
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "std::io::error::Error");
    assert!(err.message().contains("no network"), "{}", err.message());
}

#[tokio::test]
async fn a_panicking_setup_is_an_error_not_a_crash() {
    let err = fnkit::Runtime::new()
        .state_async(async { panic!("boom") as Greeting })
        .setup()
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Runtime.Panic");
    assert!(
        err.message().contains("a cold-start set-up panicked: boom"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn missing_state_is_named_when_called() {
    let err = invoke_with(&fnkit::Runtime::new(), "greet", "ada")
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Runtime.MissingState");
    assert!(
        err.message().contains("State<state::Greeting>"),
        "{}",
        err.message()
    );
}
