use fnkit::prelude::*;

// The 1st of the month and Mondays: the emulator would fire when both match, Knative when either
// does, and EventBridge refuses it, so it is refused here.
#[function(trigger = schedule(cron = "0 0 8 1 * MON"))]
async fn report(tick: ScheduleEvent) {
    let _ = tick;
}

fn main() {}
