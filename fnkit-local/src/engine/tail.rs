//! The end of an invocation's log, which a synchronous caller asking `X-Amz-Log-Type: Tail` gets
//! back (base64, in `X-Amz-Log-Result`): START, what the worker wrote, END and REPORT, the last
//! 4 KB of it, as Lambda returns.

/// How much of an invocation's output is kept for its caller: Lambda returns the last 4 KB.
pub(super) const LOG_TAIL_BYTES: usize = 4096;

/// Appends `line` to `tail`, keeping about the last [`LOG_TAIL_BYTES`] (at a character
/// boundary).
pub(super) fn keep(tail: &mut String, line: &str) {
    tail.push_str(line);
    tail.push('\n');
    if tail.len() > 2 * LOG_TAIL_BYTES {
        let mut cut = tail.len() - LOG_TAIL_BYTES;
        while !tail.is_char_boundary(cut) {
            cut += 1;
        }
        tail.drain(..cut);
    }
}

/// The invocation's log as the caller of `X-Amz-Log-Type: Tail` gets it: START, what the worker
/// wrote, the platform's lines (END, REPORT), cut to the last 4 KB.
pub(super) fn of_call(start: &str, worker: &str, platform: &[String]) -> String {
    let mut tail = format!("{start}\n{worker}");
    for line in platform.iter().filter(|l| !l.starts_with("START ")) {
        keep(&mut tail, line);
    }
    let mut cut = tail.len().saturating_sub(LOG_TAIL_BYTES);
    while !tail.is_char_boundary(cut) {
        cut += 1;
    }
    tail.split_off(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_is_the_last_four_kilobytes_ending_with_report() {
        let mut worker = String::new();
        for i in 0..1000 {
            keep(&mut worker, &format!("line {i} ééé"));
        }
        assert!(worker.len() <= 2 * LOG_TAIL_BYTES);
        let platform = [
            "END RequestId: r".to_owned(),
            "REPORT RequestId: r\t".to_owned(),
        ];
        let start = "START RequestId: r Version: $LATEST";
        let tail = of_call(start, &worker, &platform);
        assert!(tail.len() <= LOG_TAIL_BYTES, "{}", tail.len());
        assert!(
            tail.ends_with("END RequestId: r\nREPORT RequestId: r\t\n"),
            "{tail}"
        );
        assert!(tail.contains("line 999 ééé\n"));
        let short = of_call(start, "hello\n", &platform);
        assert!(
            short.starts_with("START RequestId: r Version: $LATEST\nhello\n"),
            "{short}"
        );
    }
}
