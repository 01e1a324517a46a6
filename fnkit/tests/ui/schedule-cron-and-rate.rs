use fnkit::prelude::*;

#[function(trigger = schedule(cron = "0 */5 * * * *", rate = "5 minutes"))]
async fn cleanup(tick: ScheduleEvent) {
    let _ = tick;
}

fn main() {}
