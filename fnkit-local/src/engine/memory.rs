//! Memory of a worker process, read from `/proc/<pid>/status`: the current resident set
//! (`VmRSS`, checked against the function's memory size while it runs) and its peak (`VmHWM`,
//! reported as Max Memory Used). Measured, never copied from the limit.

/// Resident memory of a process, in kB: `(current, peak)`.
pub(crate) fn usage_kb(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Kilobytes to whole megabytes, rounded up (Lambda reports whole MB).
pub(crate) fn kb_to_mb(kb: u64) -> u32 {
    kb.div_ceil(1024).try_into().unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let (rss, hwm) = usage_kb(std::process::id()).expect("/proc is readable");
        assert!(rss > 0 && hwm >= rss);
        assert_eq!(kb_to_mb(1), 1);
        assert_eq!(kb_to_mb(2048), 2);
        assert_eq!(kb_to_mb(2049), 3);
    }
}
