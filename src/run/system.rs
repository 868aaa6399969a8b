//! System metrics: a sampler thread writing the `stats` records wandb 0.31's system monitor
//! writes into an offline run (every 15 s by default), so the W&B system panels work.
//!
//! Record layout (observed in SDK runs): `StatsRecord { timestamp, item: [{key,
//! value_json}] }` (stats_type SYSTEM = 0, no stream id); float values in Python `repr`
//! form (`"4.0"`, `"10.242353784604376"`), integer values plain. Keys and units, Linux:
//!
//! | key | value |
//! |---|---|
//! | `cpu` | this process's CPU % over the last interval, divided by the CPU count (absent in the first sample, as in the SDK) |
//! | `network.sent` / `network.recv` / `network.tcpRetransmits` | bytes / segments since the run started, all interfaces |
//! | `disk.<dev>.in` / `disk.<dev>.out` | MB read / written since the run started, for the device(s) behind `/` |
//! | `memory_percent` | system memory in use, % (cgroup v2 limit when the process has one) |
//! | `proc.memory.availableMB` | available memory, MB |
//! | `proc.memory.rssMB` / `proc.memory.percent` | resident set size, MB and % of total |
//! | `proc.cpu.threads` | threads of this process |
//! | `disk./.usagePercent` / `disk./.usageGB` | used space of `/` |
//! | `gpu.<i>.gpu`, `gpu.<i>.memory`, `gpu.<i>.memoryAllocated`, `gpu.<i>.memoryAllocatedBytes`, `gpu.<i>.temp`, `gpu.<i>.powerWatts`, `gpu.<i>.enforcedPowerLimitWatts`, `gpu.<i>.powerPercent`, `_gpu.<i>.memoryTotal` | NVIDIA GPUs through NVML (`libnvidia-ml.so.1`, loaded with `dlopen` when present; absent NVML is not an error) |
//!
//! A metric that cannot be read on this machine is left out of the record (never an error).

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::json::format_float_repr;
use crate::run::proto::{self, Msg};
use crate::run::record::timestamp;

/// The SDK's default sampling interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);
/// The shortest interval accepted (sampling reads a handful of /proc files).
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// One metric value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    F(f64),
    I(i64),
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// (total, available) bytes from /proc/meminfo.
fn meminfo() -> Option<(u64, u64)> {
    let text = read("/proc/meminfo")?;
    let mut total = None;
    let mut avail = None;
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let k = it.next()?;
        let v: u64 = it.next().and_then(|v| v.parse().ok())?;
        match k {
            "MemTotal:" => total = Some(v * 1024),
            "MemAvailable:" => avail = Some(v * 1024),
            _ => {}
        }
    }
    Some((total?, avail?))
}

/// cgroup v2 memory (current, limit) when this process has a numeric `memory.max`.
fn cgroup_memory() -> Option<(u64, u64)> {
    let cg = read("/proc/self/cgroup")?;
    let path = cg.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = format!("/sys/fs/cgroup{}", path.trim_end());
    let limit: u64 = read(&format!("{dir}/memory.max"))?.trim().parse().ok()?;
    let current: u64 = read(&format!("{dir}/memory.current"))?
        .trim()
        .parse()
        .ok()?;
    (limit > 0).then_some((current, limit))
}

/// Bytes (sent, received) over all interfaces.
fn net_bytes() -> Option<(u64, u64)> {
    let text = read("/proc/net/dev")?;
    let (mut sent, mut recv) = (0u64, 0u64);
    for line in text.lines().skip(2) {
        let (_, rest) = line.split_once(':')?;
        let f: Vec<u64> = rest
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        if f.len() >= 9 {
            recv += f[0];
            sent += f[8];
        }
    }
    Some((sent, recv))
}

fn tcp_retransmits() -> Option<u64> {
    let text = read("/proc/net/snmp")?;
    let mut lines = text.lines().filter(|l| l.starts_with("Tcp:"));
    let names: Vec<&str> = lines.next()?.split_whitespace().collect();
    let values: Vec<&str> = lines.next()?.split_whitespace().collect();
    let i = names.iter().position(|n| *n == "RetransSegs")?;
    values.get(i)?.parse().ok()
}

/// (bytes read, bytes written) per device of /proc/diskstats.
fn diskstats() -> HashMap<String, (u64, u64)> {
    let mut out = HashMap::new();
    if let Some(text) = read("/proc/diskstats") {
        for line in text.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() >= 10 {
                let r: u64 = f[5].parse().unwrap_or(0);
                let w: u64 = f[9].parse().unwrap_or(0);
                out.insert(f[2].to_string(), (r * 512, w * 512));
            }
        }
    }
    out
}

fn pseudo_device(d: &str) -> bool {
    d.starts_with("loop") || d.starts_with("ram") || d.starts_with("zram")
}

/// The devices behind `/` (as the SDK picks them: the mount's device if it has I/O
/// counters, else every real device).
fn root_devices(stats: &HashMap<String, (u64, u64)>) -> Vec<String> {
    let mut devs = Vec::new();
    if let Some(m) = read("/proc/mounts") {
        for line in m.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() >= 2 && f[1] == "/" {
                let d = f[0].trim_start_matches("/dev/").to_string();
                if stats.contains_key(&d) && !devs.contains(&d) {
                    devs.push(d);
                }
            }
        }
    }
    if devs.is_empty() {
        devs = stats
            .keys()
            .filter(|d| !pseudo_device(d))
            .cloned()
            .collect();
    }
    devs.sort();
    devs
}

/// (used bytes, used %) of the filesystem at `path` (gopsutil's definition).
fn disk_usage(path: &str) -> Option<(f64, f64)> {
    #[cfg(unix)]
    {
        let c = std::ffi::CString::new(path).ok()?;
        // SAFETY: statvfs writes the provided struct.
        let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
            return None;
        }
        let frsize = s.f_frsize as f64;
        let used = (s.f_blocks as f64 - s.f_bfree as f64) * frsize;
        let avail = s.f_bavail as f64 * frsize;
        let pct = if used + avail > 0.0 {
            used / (used + avail) * 100.0
        } else {
            0.0
        };
        Some((used, pct))
    }
    #[cfg(not(unix))]
    {
        // Not measured off Unix yet: the metric is left out, as on a machine without it.
        let _ = path;
        None
    }
}

/// (utime + stime in seconds, threads, rss bytes) of this process.
fn self_stat() -> Option<(f64, i64, u64)> {
    let text = read("/proc/self/stat")?;
    // Fields after the command (which may contain spaces) start after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // SAFETY: sysconf has no preconditions.
    #[cfg(unix)]
    let (tick, page) = unsafe {
        (
            libc::sysconf(libc::_SC_CLK_TCK).max(1) as f64,
            libc::sysconf(libc::_SC_PAGESIZE).max(1) as u64,
        )
    };
    // /proc exists only on Linux: elsewhere the read above already returned None.
    #[cfg(not(unix))]
    let (tick, page) = (100.0, 4096u64);
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    let threads: i64 = f.get(17)?.parse().ok()?;
    let rss: u64 = f.get(21)?.parse().ok()?;
    Some(((utime + stime) / tick, threads, rss * page))
}

/// NVIDIA GPUs through NVML, loaded at run time. Every symbol is optional; absent NVML
/// (no driver, no GPU) gives no GPU metrics.
mod nvml {
    use std::ffi::{c_int, c_uint, c_void, CStr};

    type Device = *mut c_void;

    /// NVML's name on Linux (driver package) and Windows (driver, on the DLL search path).
    #[cfg(not(windows))]
    const NVML_LIBS: &[&str] = &["libnvidia-ml.so.1"];
    #[cfg(windows)]
    const NVML_LIBS: &[&str] = &["nvml.dll"];
    #[repr(C)]
    #[derive(Default)]
    struct Utilization {
        gpu: c_uint,
        memory: c_uint,
    }
    #[repr(C)]
    #[derive(Default)]
    struct Memory {
        total: u64,
        free: u64,
        used: u64,
    }

    type Init = unsafe extern "C" fn() -> c_int;
    type Count = unsafe extern "C" fn(*mut c_uint) -> c_int;
    type Handle = unsafe extern "C" fn(c_uint, *mut Device) -> c_int;
    type Util = unsafe extern "C" fn(Device, *mut Utilization) -> c_int;
    type Mem = unsafe extern "C" fn(Device, *mut Memory) -> c_int;
    type Temp = unsafe extern "C" fn(Device, c_int, *mut c_uint) -> c_int;
    type Power = unsafe extern "C" fn(Device, *mut c_uint) -> c_int;

    pub struct Nvml {
        // Kept loaded while the function pointers below are in use (dropped last).
        _lib: libloading::Library,
        shutdown: Option<Init>,
        devices: Vec<Device>,
        util: Option<Util>,
        mem: Option<Mem>,
        temp: Option<Temp>,
        power: Option<Power>,
        limit: Option<Power>,
    }

    // SAFETY: NVML is thread-safe; the handle is only used by the sampler thread.
    unsafe impl Send for Nvml {}

    unsafe fn sym<T: Copy>(lib: &libloading::Library, name: &CStr) -> Option<T> {
        // SAFETY: T is the symbol's function pointer type (nvml.h); the library outlives
        // the copied pointer (both live in `Nvml`).
        unsafe { lib.get::<T>(name.to_bytes_with_nul()).ok().map(|s| *s) }
    }

    impl Nvml {
        /// `None` when NVML is not installed or has no GPU.
        pub fn open() -> Option<Nvml> {
            // SAFETY: dlopen/dlsym with NUL-terminated names; symbols cast to their NVML
            // signatures (nvml.h).
            let library = crate::platform::load_library(NVML_LIBS)?;
            unsafe {
                let lib = &library;
                let init: Option<Init> = sym(lib, c"nvmlInit_v2");
                let count: Option<Count> = sym(lib, c"nvmlDeviceGetCount_v2");
                let handle: Option<Handle> = sym(lib, c"nvmlDeviceGetHandleByIndex_v2");
                let (Some(init), Some(count), Some(handle)) = (init, count, handle) else {
                    return None;
                };
                if init() != 0 {
                    return None;
                }
                let shutdown: Option<Init> = sym(lib, c"nvmlShutdown");
                let mut n: c_uint = 0;
                let mut devices = Vec::new();
                if count(&mut n) == 0 {
                    for i in 0..n.min(64) {
                        let mut d: Device = std::ptr::null_mut();
                        if handle(i, &mut d) == 0 {
                            devices.push(d);
                        }
                    }
                }
                let nv = Nvml {
                    shutdown,
                    devices,
                    util: sym(lib, c"nvmlDeviceGetUtilizationRates"),
                    mem: sym(lib, c"nvmlDeviceGetMemoryInfo"),
                    temp: sym(lib, c"nvmlDeviceGetTemperature"),
                    power: sym(lib, c"nvmlDeviceGetPowerUsage"),
                    limit: sym(lib, c"nvmlDeviceGetEnforcedPowerLimit"),
                    _lib: library,
                };
                if nv.devices.is_empty() {
                    return None; // Drop shuts NVML down and closes the library
                }
                Some(nv)
            }
        }

        /// The SDK's per-GPU metrics (xpu/src/gpu_nvidia.rs names).
        pub fn sample(&self, out: &mut Vec<(String, super::Val)>) {
            use super::Val::{F, I};
            for (i, &d) in self.devices.iter().enumerate() {
                // SAFETY: valid device handles of an initialised NVML.
                unsafe {
                    if let Some(f) = self.util {
                        let mut u = Utilization::default();
                        if f(d, &mut u) == 0 {
                            out.push((format!("gpu.{i}.gpu"), F(f64::from(u.gpu))));
                            out.push((format!("gpu.{i}.memory"), I(i64::from(u.memory))));
                        }
                    }
                    if let Some(f) = self.mem {
                        let mut m = Memory::default();
                        if f(d, &mut m) == 0 && m.total > 0 {
                            out.push((format!("_gpu.{i}.memoryTotal"), I(m.total as i64)));
                            out.push((
                                format!("gpu.{i}.memoryAllocated"),
                                F(m.used as f64 / m.total as f64 * 100.0),
                            ));
                            out.push((format!("gpu.{i}.memoryAllocatedBytes"), I(m.used as i64)));
                        }
                    }
                    if let Some(f) = self.temp {
                        let mut t: c_uint = 0;
                        if f(d, 0, &mut t) == 0 {
                            out.push((format!("gpu.{i}.temp"), F(f64::from(t))));
                        }
                    }
                    if let Some(f) = self.power {
                        let mut mw: c_uint = 0;
                        if f(d, &mut mw) == 0 {
                            let w = f64::from(mw) / 1000.0;
                            out.push((format!("gpu.{i}.powerWatts"), F(w)));
                            let mut lim: c_uint = 0;
                            if let Some(g) = self.limit {
                                if g(d, &mut lim) == 0 && lim > 0 {
                                    let l = f64::from(lim) / 1000.0;
                                    out.push((format!("gpu.{i}.enforcedPowerLimitWatts"), F(l)));
                                    out.push((format!("gpu.{i}.powerPercent"), F(w / l * 100.0)));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    impl Drop for Nvml {
        fn drop(&mut self) {
            // SAFETY: matching nvmlInit; the library is unloaded after this (field drop).
            unsafe {
                if let Some(s) = self.shutdown {
                    s();
                }
            }
        }
    }
}

/// What a sample is measured against (values at the start of the run).
pub struct Probe {
    start_net: Option<(u64, u64)>,
    start_retrans: Option<u64>,
    devices: Vec<String>,
    start_disk: HashMap<String, (u64, u64)>,
    last_cpu: Option<(Instant, f64)>,
    ncpu: f64,
    nvml: Option<nvml::Nvml>,
}

impl Probe {
    pub fn new() -> Probe {
        let disk = diskstats();
        Probe {
            start_net: net_bytes(),
            start_retrans: tcp_retransmits(),
            devices: root_devices(&disk),
            start_disk: disk,
            // The first sample has no `cpu` (it needs a previous reading), as in the SDK.
            last_cpu: None,
            ncpu: std::thread::available_parallelism()
                .map(|n| n.get() as f64)
                .unwrap_or(1.0),
            nvml: nvml::Nvml::open(),
        }
    }

    /// One sample, in the SDK's key order.
    pub fn sample(&mut self) -> Vec<(String, Val)> {
        use Val::F;
        let mut out = Vec::new();
        let now = Instant::now();
        let st = self_stat();
        if let (Some((t0, c0)), Some((c1, _, _))) = (self.last_cpu, st) {
            let wall = now.duration_since(t0).as_secs_f64();
            if wall > 0.0 {
                out.push(("cpu".into(), F((c1 - c0) / wall * 100.0 / self.ncpu)));
            }
        }
        if let Some((c1, _, _)) = st {
            self.last_cpu = Some((now, c1));
        }
        if let (Some((s0, r0)), Some((s1, r1))) = (self.start_net, net_bytes()) {
            out.push(("network.sent".into(), F(s1 as f64 - s0 as f64)));
            out.push(("network.recv".into(), F(r1 as f64 - r0 as f64)));
        }
        if let (Some(a), Some(b)) = (self.start_retrans, tcp_retransmits()) {
            out.push(("network.tcpRetransmits".into(), F(b as f64 - a as f64)));
        }
        let disk = diskstats();
        for d in &self.devices {
            if let (Some(&(r0, w0)), Some(&(r1, w1))) = (self.start_disk.get(d), disk.get(d)) {
                let mb = |x: u64| x as f64 / 1024.0 / 1024.0;
                out.push((format!("disk.{d}.in"), F(mb(r1.saturating_sub(r0)))));
                out.push((format!("disk.{d}.out"), F(mb(w1.saturating_sub(w0)))));
            }
        }
        let mut total = None;
        if let Some((cur, limit)) = cgroup_memory() {
            out.push((
                "memory_percent".into(),
                F(cur as f64 / limit as f64 * 100.0),
            ));
            out.push((
                "proc.memory.availableMB".into(),
                F(limit.saturating_sub(cur) as f64 / 1024.0 / 1024.0),
            ));
            total = Some(limit);
        } else if let Some((t, avail)) = meminfo() {
            out.push((
                "memory_percent".into(),
                F(t.saturating_sub(avail) as f64 / t as f64 * 100.0),
            ));
            out.push((
                "proc.memory.availableMB".into(),
                F(avail as f64 / 1024.0 / 1024.0),
            ));
            total = Some(t);
        }
        if let Some((_, threads, rss)) = st {
            out.push(("proc.memory.rssMB".into(), F(rss as f64 / 1024.0 / 1024.0)));
            if let Some(t) = total.filter(|t| *t > 0) {
                out.push((
                    "proc.memory.percent".into(),
                    F(rss as f64 / t as f64 * 100.0),
                ));
            }
            out.push(("proc.cpu.threads".into(), F(threads as f64)));
        }
        if let Some((used, pct)) = disk_usage("/") {
            out.push(("disk./.usagePercent".into(), F(pct)));
            out.push(("disk./.usageGB".into(), F(used / 1024.0 / 1024.0 / 1024.0)));
        }
        if let Some(nv) = &self.nvml {
            nv.sample(&mut out);
        }
        out
    }
}

impl Default for Probe {
    fn default() -> Self {
        Probe::new()
    }
}

/// The `StatsRecord` of one sample.
pub fn record(items: &[(String, Val)], at: Duration) -> Msg {
    let mut m = Msg::new();
    m.message(proto::stats::TIMESTAMP, &timestamp(at));
    for (k, v) in items {
        let mut text = String::new();
        match v {
            Val::F(x) => format_float_repr(*x, &mut text),
            Val::I(i) => text = i.to_string(),
        }
        let mut it = Msg::new();
        it.string(proto::stats::item::KEY, k)
            .string(proto::stats::item::VALUE_JSON, &text);
        m.message(proto::stats::ITEM, &it);
    }
    m
}

struct Stop {
    stop: Mutex<bool>,
    cv: Condvar,
}

/// The sampler thread; `stop` (or drop) ends it and waits for it.
pub struct Sampler {
    stop: Arc<Stop>,
    handle: Option<JoinHandle<()>>,
}

impl Sampler {
    /// Starts sampling every `interval`; `emit` appends a record body (false = the run is
    /// closed: the thread ends).
    pub fn start(interval: Duration, emit: Box<dyn Fn(Msg) -> bool + Send>) -> Result<Sampler> {
        if interval < MIN_INTERVAL {
            return Err(Error::invalid(format!(
                "stats interval {} ms is below the minimum of {} ms",
                interval.as_millis(),
                MIN_INTERVAL.as_millis()
            )));
        }
        let stop = Arc::new(Stop {
            stop: Mutex::new(false),
            cv: Condvar::new(),
        });
        let s = stop.clone();
        let handle = std::thread::Builder::new()
            .name("wandb-media-stats".into())
            .spawn(move || {
                let mut probe = Probe::new();
                let mut next = Instant::now() + interval;
                loop {
                    {
                        let mut g = s.stop.lock().unwrap_or_else(|p| p.into_inner());
                        loop {
                            if *g {
                                return;
                            }
                            let now = Instant::now();
                            if now >= next {
                                break;
                            }
                            g =
                                s.cv.wait_timeout(g, next - now)
                                    .unwrap_or_else(|p| p.into_inner())
                                    .0;
                        }
                    }
                    next += interval;
                    let items = probe.sample();
                    let at = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default();
                    if !items.is_empty() && !emit(record(&items, at)) {
                        return;
                    }
                }
            })
            .map_err(|e| Error::io("starting the system metrics thread", e))?;
        Ok(Sampler {
            stop,
            handle: Some(handle),
        })
    }

    /// Stops the thread and waits for it (a sample in progress completes first).
    pub fn stop(&mut self) {
        *self.stop.stop.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.stop.cv.notify_all();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_linux_metrics_with_sdk_names() {
        let mut p = Probe::new();
        let first = p.sample();
        assert!(!first.iter().any(|(k, _)| k == "cpu"));
        std::thread::sleep(Duration::from_millis(20));
        let s = p.sample();
        let keys: Vec<&str> = s.iter().map(|(k, _)| k.as_str()).collect();
        for k in [
            "cpu",
            "network.sent",
            "memory_percent",
            "proc.memory.availableMB",
            "proc.memory.rssMB",
            "proc.memory.percent",
            "proc.cpu.threads",
            "disk./.usagePercent",
            "disk./.usageGB",
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
        let get = |k: &str| match s.iter().find(|(n, _)| n == k).unwrap().1 {
            Val::F(x) => x,
            Val::I(i) => i as f64,
        };
        assert!(get("proc.memory.rssMB") > 1.0);
        assert!((0.0..=100.0).contains(&get("memory_percent")));
        assert!(get("proc.cpu.threads") >= 1.0);
        let r = record(&s[..1], Duration::new(5, 7));
        // timestamp {seconds: 5, nanos: 7}, item {key: "cpu", value_json: "<repr>"}
        assert!(r.as_bytes().starts_with(&[0x12, 4, 8, 5, 16, 7, 0x1a]));
        let mut text = String::new();
        format_float_repr(4.0, &mut text);
        assert_eq!(text, "4.0");
    }

    #[test]
    fn sampler_emits_and_stops() {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let mut s = Sampler::start(
            Duration::from_millis(100),
            Box::new(move |m| {
                g.lock().unwrap().push(m.into_bytes());
                true
            }),
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(450));
        s.stop();
        let n = got.lock().unwrap().len();
        assert!((3..=5).contains(&n), "{n} samples");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(got.lock().unwrap().len(), n, "samples after stop");
        assert!(Sampler::start(Duration::from_millis(10), Box::new(|_| true)).is_err());
    }
}
