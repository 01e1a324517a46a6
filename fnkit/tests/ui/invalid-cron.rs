use fnkit::prelude::*;

#[function(trigger = schedule(cron = "0 61 * * * *"))]
async fn cleanup(tick: ScheduleEvent) {
    let _ = tick;
}

fn main() {}
