use fnkit::prelude::*;

#[function(trigger = schedule(rate = "30 seconds"))]
async fn cleanup(tick: ScheduleEvent) {
    let _ = tick;
}

fn main() {}
