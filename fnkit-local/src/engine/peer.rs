//! Who is at the other end of a Runtime API connection. An environment's API serves its worker
//! and the processes the worker started (a shell wrapper's child, a runtime's helper), nobody
//! else: without this check any local process could take the next invocation with `GET /next`
//! or answer one in the worker's place.
//!
//! On Linux the caller is found without its help, so the official clients (`lambda_runtime`,
//! `awslambdaric`), which know only `host:port`, are checked too: the client end of the accepted
//! loopback connection is looked up in `/proc/net/tcp` (its socket inode), and the connection is
//! the worker's if the worker or one of its descendants holds that socket (`/proc/<pid>/fd`).
//! Other systems have no such table; there every local caller is accepted, as docs/emulator.md
//! says.

use std::net::SocketAddr;

/// How many processes of a worker's tree are looked at, at most (a fork bomb is not searched).
#[cfg(target_os = "linux")]
const MOST_PROCESSES: usize = 256;

/// Whether the connection from `peer` to `local` (this side's address) is held by process
/// `worker` or one of its descendants. Reads procfs: call it off the runtime's threads.
#[cfg(target_os = "linux")]
pub(crate) fn is_workers(worker: u32, peer: SocketAddr, local: SocketAddr) -> bool {
    let Some(inode) = client_socket(peer, local) else {
        return false;
    };
    let wanted = format!("socket:[{inode}]");
    let mut queue = std::collections::VecDeque::from([worker]);
    let mut seen = 0;
    while let Some(pid) = queue.pop_front() {
        if holds(pid, &wanted) {
            return true;
        }
        seen += 1;
        if seen >= MOST_PROCESSES {
            return false;
        }
        queue.extend(children(pid));
    }
    false
}

/// Elsewhere the caller cannot be told (see the module's docs).
#[cfg(not(target_os = "linux"))]
pub(crate) fn is_workers(_worker: u32, _peer: SocketAddr, _local: SocketAddr) -> bool {
    true
}

/// The inode of the socket whose local address is `peer` and remote address `local`: the
/// client's end of the connection. Only IPv4: the API listens on 127.0.0.1.
#[cfg(target_os = "linux")]
fn client_socket(peer: SocketAddr, local: SocketAddr) -> Option<u64> {
    let (SocketAddr::V4(peer), SocketAddr::V4(local)) = (peer, local) else {
        return None;
    };
    // The kernel prints each address as its 32-bit value in the machine's byte order, then the
    // port (`0100007F:1F90` for 127.0.0.1:8080 on a little-endian machine).
    let hex = |a: std::net::SocketAddrV4| {
        format!(
            "{:08X}:{:04X}",
            u32::from_ne_bytes(a.ip().octets()),
            a.port()
        )
    };
    let (from, to) = (hex(peer), hex(local));
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // sl, local, remote, st, queues, timer, retransmits, uid, timeout, inode.
        if fields.len() > 9 && fields[1] == from && fields[2] == to {
            fields[9].parse().ok().filter(|inode| *inode != 0)
        } else {
            None
        }
    })
}

/// Whether process `pid` has `wanted` (`socket:[inode]`) among its open files.
#[cfg(target_os = "linux")]
fn holds(pid: u32, wanted: &str) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target.as_os_str() == wanted))
}

/// The children of every thread of process `pid`.
#[cfg(target_os = "linux")]
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::is_workers;

    #[test]
    fn a_connection_is_told_apart_by_the_process_holding_it() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let local = listener.local_addr().unwrap();
        let client = std::net::TcpStream::connect(local).unwrap();
        let (_server, peer) = listener.accept().unwrap();
        assert_eq!(client.local_addr().unwrap(), peer);
        assert!(is_workers(std::process::id(), peer, local));
        // A process that does not hold it (a child of this one: the search goes down, not up).
        let mut other = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        assert!(!is_workers(other.id(), peer, local));
        let _ = other.kill();
        let _ = other.wait();
        // A connection that is not there.
        let gone = "127.0.0.1:1".parse().unwrap();
        assert!(!is_workers(std::process::id(), gone, local));
    }
}
