use fnkit::prelude::*;

#[function(trigger = schedule(cron = "*/5 * * * *"))]
async fn cleanup(tick: ScheduleEvent) {
    let _ = tick;
}

fn main() {}
