//! Bit-for-bit check of the crate's float formatter (src/json/float.rs) against the runtimes
//! whose bytes it must reproduce: Python `repr` (serialiser B and `py_float_repr`),
//! pydantic-core `to_json` (serialiser A) and Go `strconv.FormatFloat(v, 'g', -1, 64)`
//! (wandb-core's run log).
//!
//! usage: wb-floatcheck N SEED PYTHON GOBIN WORKDIR
//! Writes N doubles (edge values first — ±0, subnormals, ±max, powers of ten and their
//! neighbours around the 1e-5/1e-4/1e6/1e16 layout switches, exact decimal ties from float32
//! values, integers — then a seeded mix of random bit patterns, random floats32 widened,
//! random short decimals and random magnitudes) to WORKDIR/values.bin, runs
//! `PYTHON check.py values.bin` and `GOBIN values.bin`, and compares every line.
//! Exit status 1 on any difference (the first 20 are printed).
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use wandb_media::json::float::Shortest;
use wandb_media::json::{format_float_compact, format_float_go, format_float_repr, py_float_repr};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn edge_values() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        f64::MIN_POSITIVE,
        f64::MAX,
        -f64::MAX,
        f64::EPSILON,
        1.0,
        -1.0,
        0.1,
        0.2,
        0.3,
        1.0 / 3.0,
        2.0 / 3.0,
        9007199254740993.0,
        9007199254740992.0,
        123456.0,
        1234567.0,
        999999.0,
        999999.9999999999,
    ];
    // subnormals: the smallest ones and random-looking ones
    for b in 1u64..=2000 {
        v.push(f64::from_bits(b));
        v.push(f64::from_bits(0x000f_ffff_ffff_ffff - b));
        v.push(f64::from_bits(
            b * 0x0000_0123_4567_89ab % 0x0010_0000_0000_0000,
        ));
    }
    // powers of ten and their neighbours (the layout switches sit at 1e-5, 1e-4, 1e6, 1e16, 1e21)
    for e in -324..=308 {
        let p: f64 = format!("1e{e}").parse().unwrap_or(0.0);
        if p == 0.0 || !p.is_finite() {
            continue;
        }
        for d in -3i64..=3 {
            let x = f64::from_bits((p.to_bits() as i64 + d) as u64);
            v.push(x);
            v.push(-x);
        }
        for m in [2.0, 5.0, 9.5, 9.999999999999998] {
            v.push(p * m);
        }
    }
    // integers around 2^53 and small integers
    for i in 0..2000i64 {
        v.push(i as f64);
        v.push(((1i64 << 53) - 1000 + i) as f64);
    }
    v
}

fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut v = edge_values();
    v.retain(|x| x.is_finite());
    let mut r = Rng(seed);
    while v.len() < n {
        let x = r.next();
        let f = match x % 6 {
            // any finite double
            0 | 1 => f64::from_bits(r.next()),
            // a float32 widened: exact decimal ties between two shortest candidates live here
            2 => f64::from(f32::from_bits(r.next() as u32)),
            // a short decimal (0–17 significant digits) at a random magnitude
            3 => {
                let digits = 1 + (r.next() % 17) as u32;
                let m = r.next() % 10u64.pow(digits);
                let e = (r.next() % 60) as i32 - 30;
                format!("{m}e{e}").parse().unwrap_or(0.0)
            }
            // uniform in [0, 1) and around the layout switches
            4 => (r.next() >> 11) as f64 / (1u64 << 53) as f64,
            _ => {
                let scale = [1e-5, 1e-4, 1e6, 1e16, 1e21, 1e-7, 1e15][(r.next() % 7) as usize];
                scale * (0.5 + (r.next() >> 11) as f64 / (1u64 << 53) as f64)
            }
        };
        if f.is_finite() {
            v.push(if x & 64 != 0 { -f } else { f });
        }
    }
    v.truncate(n);
    v
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 6 {
        eprintln!("usage: wb-floatcheck N SEED PYTHON GOBIN WORKDIR");
        std::process::exit(2);
    }
    let n: usize = a[1].parse().expect("N");
    let seed: u64 = a[2].parse().expect("SEED");
    let dir = std::path::Path::new(&a[5]);
    let vals = values(n, seed);
    let bin = dir.join("values.bin");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&bin).expect("values.bin"));
        for x in &vals {
            f.write_all(&x.to_le_bytes()).expect("write");
        }
    }
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/floatcheck");
    let mut py = Command::new(&a[3])
        .arg(here.join("check.py"))
        .arg(&bin)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python");
    let mut go = Command::new(&a[4])
        .arg(&bin)
        .stdout(Stdio::piped())
        .spawn()
        .expect("go checker");
    // Python prints three lines per value (repr, pydantic-core to_json); Go one.
    let mut pyl = BufReader::with_capacity(1 << 20, py.stdout.take().expect("stdout")).lines();
    let mut gol = BufReader::with_capacity(1 << 20, go.stdout.take().expect("stdout")).lines();
    let (mut bad, mut ties) = (0usize, 0usize);
    let mut check = |what: &str, x: f64, ours: &str, theirs: &str| {
        if ours != theirs {
            bad += 1;
            if bad <= 20 {
                eprintln!(
                    "{what} {:#018x} ({x:e}): ours {ours} want {theirs}",
                    x.to_bits()
                );
            }
        }
    };
    let mut s = String::new();
    for &x in &vals {
        let r = pyl.next().expect("python repr line").expect("utf-8");
        let j = pyl.next().expect("pydantic line").expect("utf-8");
        let g = gol.next().expect("go line").expect("utf-8");
        s.clear();
        format_float_repr(x, &mut s);
        check("repr", x, &s, &r);
        check("py_float_repr", x, &py_float_repr(x), &r);
        s.clear();
        format_float_compact(x, &mut s);
        check("pydantic", x, &s, &j);
        s.clear();
        format_float_go(x, &mut s);
        check("go", x, &s, &g);
        // an exact tie: the exact value is halfway between two shortest-length candidates
        if x != 0.0 {
            let exact = format!("{:.40e}", x.abs());
            let m = exact.split('e').next().unwrap_or("");
            let sig = m.replace('.', "");
            let sig = sig.trim_end_matches('0');
            if sig.len() == Shortest::of(x).digits().len() + 1 && sig.ends_with('5') {
                ties += 1;
            }
        }
    }
    let ok_py = py.wait().map(|s| s.success()).unwrap_or(false);
    let ok_go = go.wait().map(|s| s.success()).unwrap_or(false);
    println!(
        "floatcheck: {} values (seed {seed}, {} edge values, {ties} exact ties), 4 formats \
         (repr, py_float_repr, pydantic-core, Go 'g'/-1): {} differences",
        vals.len(),
        edge_values().iter().filter(|x| x.is_finite()).count(),
        bad
    );
    if bad > 0 || !ok_py || !ok_go {
        std::process::exit(1);
    }
}
