//! Extractors may come before or after the event; the fn stays callable as written.
use fnkit::prelude::*;

struct Greeting {
    text: &'static str,
}

#[function]
async fn greet(greeting: State<Greeting>, ctx: Context, name: String) -> String {
    format!("{} {name} ({})", greeting.text, ctx.function_name())
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let direct = rt.block_on(greet(
        State(std::sync::Arc::new(Greeting { text: "hi" })),
        fnkit::testing::context().function_name("greet").build(),
        "ada".to_owned(),
    ));
    assert_eq!(direct, "hi ada (greet)");
    let runtime = fnkit::Runtime::new().state(Greeting { text: "hello" });
    let invoked = rt.block_on(fnkit::testing::invoke_with(&runtime, "greet", "bob")).unwrap();
    assert_eq!(invoked, "hello bob (greet)");
}
