//! The fnkit emulator: runs fnkit functions locally with the cloud's limits and accounting (being built; see issue 3).
