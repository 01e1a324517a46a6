//! Who is at the other end of a Runtime API connection. An environment's API serves its worker
//! and the processes the worker started (a shell wrapper's child, a runtime's helper), nobody
//! else: without this check any local process could take the next invocation with `GET /next`
//! or answer one in the worker's place.
//!
//! On Linux the caller is found without its help, so the official clients (`lambda_runtime`,
//! `awslambdaric`), which know only `host:port`, are checked too: the client end of the accepted
//! loopback connection is looked up by its exact addresses with the kernel's socket diagnostics
//! (`NETLINK_SOCK_DIAG`, what `ss` uses; `/proc/net/tcp` when that is refused), which gives its
//! inode, and the connection is the worker's if the worker or one of its descendants holds that
//! socket (`/proc/<pid>/fd`). Reading `/proc/net/tcp` alone walks the kernel's whole connection
//! table, about 5 ms here, which tripled a cold start; the exact lookup takes microseconds.
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
    match diagnosed_inode(peer, local) {
        Ok(inode) => inode,
        // Socket diagnostics refused (a restricted sandbox): read the table instead.
        Err(_) => table_inode(peer, local),
    }
}

/// `SOCK_DIAG_BY_FAMILY`, the request and answer type of socket diagnostics.
#[cfg(target_os = "linux")]
const SOCK_DIAG_BY_FAMILY: u16 = 20;

/// Asks the kernel for the TCP socket from `peer` to `local` (one exact lookup, as
/// `linux/inet_diag.h` lays it out: `nlmsghdr`, then `inet_diag_req_v2` with its
/// `inet_diag_sockid`); `Ok(None)` when there is no such socket.
#[cfg(target_os = "linux")]
fn diagnosed_inode(
    peer: std::net::SocketAddrV4,
    local: std::net::SocketAddrV4,
) -> std::io::Result<Option<u64>> {
    use rustix::net::{
        netlink, recv, send, socket_with, AddressFamily, RecvFlags, SendFlags, SocketFlags,
        SocketType,
    };
    // CLOEXEC: a worker spawned meanwhile must not inherit it.
    let fd = socket_with(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        Some(netlink::SOCK_DIAG),
    )?;
    rustix::net::sockopt::set_socket_timeout(
        &fd,
        rustix::net::sockopt::Timeout::Recv,
        Some(std::time::Duration::from_secs(1)),
    )?;
    let mut request = Vec::with_capacity(72);
    request.extend_from_slice(&72u32.to_ne_bytes()); // nlmsg_len
    request.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes()); // nlmsg_type
    request.extend_from_slice(&1u16.to_ne_bytes()); // nlmsg_flags: NLM_F_REQUEST
    request.extend_from_slice(&[0; 8]); // nlmsg_seq, nlmsg_pid
    request.extend_from_slice(&[2, 6, 0, 0]); // AF_INET, IPPROTO_TCP, no extensions, pad
    request.extend_from_slice(&u32::MAX.to_ne_bytes()); // every state
    request.extend_from_slice(&peer.port().to_be_bytes()); // idiag_sport
    request.extend_from_slice(&local.port().to_be_bytes()); // idiag_dport
    let mut address = [0u8; 16];
    address[..4].copy_from_slice(&peer.ip().octets());
    request.extend_from_slice(&address); // idiag_src
    address[..4].copy_from_slice(&local.ip().octets());
    request.extend_from_slice(&address); // idiag_dst
    request.extend_from_slice(&0u32.to_ne_bytes()); // idiag_if
    request.extend_from_slice(&[0xff; 8]); // idiag_cookie: INET_DIAG_NOCOOKIE
    send(&fd, &request, SendFlags::empty())?;
    let mut answer = [0u8; 1024];
    let (_, n) = recv(&fd, &mut answer, RecvFlags::empty())?;
    let answer = &answer[..n];
    let word = |at: usize| {
        answer
            .get(at..at + 4)
            .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
    };
    let kind = answer.get(4..6).map(|b| u16::from_ne_bytes([b[0], b[1]]));
    if kind != Some(SOCK_DIAG_BY_FAMILY) {
        // NLMSG_ERROR, its errno negated after the header: ENOENT is "no such socket"; any
        // other refusal (EPERM, no tcp_diag) sends the caller to the table.
        return match word(16).map(|e| e as i32) {
            Some(-2) => Ok(None),
            Some(e) => Err(std::io::Error::from_raw_os_error(-e)),
            None => Err(std::io::ErrorKind::InvalidData.into()),
        };
    }
    // `inet_diag_msg` after the 16-byte header: state at 1, the socket's own ids at 4..40 (as
    // asked: ports, then addresses), its inode at 68..72. When no connection matches, the
    // kernel answers with a listening socket on the same port instead: that is not the client.
    const LISTEN: u8 = 10;
    let asked = &request[24..60];
    if answer.get(20..56) != Some(asked) || answer.get(17) == Some(&LISTEN) {
        return Ok(None);
    }
    Ok(word(84).map(u64::from).filter(|inode| *inode != 0))
}

/// The same from `/proc/net/tcp`, which lists every connection of the network namespace.
#[cfg(target_os = "linux")]
fn table_inode(peer: std::net::SocketAddrV4, local: std::net::SocketAddrV4) -> Option<u64> {
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

    #[test]
    fn the_kernels_answer_and_the_table_name_the_same_socket() {
        use std::net::SocketAddr;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_server, peer) = listener.accept().unwrap();
        let (SocketAddr::V4(peer), SocketAddr::V4(local)) = (peer, listener.local_addr().unwrap())
        else {
            panic!("IPv4");
        };
        let diagnosed = super::diagnosed_inode(peer, local).unwrap();
        assert!(diagnosed.is_some());
        assert_eq!(diagnosed, super::table_inode(peer, local));
        let gone = "127.0.0.1:1".parse().unwrap();
        assert_eq!(super::diagnosed_inode(gone, local).unwrap(), None);
        // No connection from the listener's own port: the kernel offers the listener, which is
        // not a client (a stranger that closed its socket would otherwise pass as the worker).
        assert_eq!(super::diagnosed_inode(local, gone).unwrap(), None);
    }
}
