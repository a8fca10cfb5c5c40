//! A 2 GiB result to a file with the memory of this process bounded (its own test binary, so
//! the peak resident size measured is this test's alone).

mod common;
use common::*;
use olconnect_sim::generated_bytes;
use std::io::{Read, Seek, SeekFrom};

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap()
        .trim()
        .trim_end_matches(" kB")
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn two_gib_to_file_in_bounded_memory() {
    const SIZE: u64 = 2 << 30;
    let sim = sim();
    let c = basic_client(&sim);
    let op = streamed_op(&c, SIZE);
    let dir = temp_dir("large");
    let dest = dir.join("big.pdf");
    let before = peak_rss_kib();
    assert_eq!(c.result_to_file(&op, &dest).unwrap().0, SIZE);
    let peak = peak_rss_kib();
    assert_eq!(std::fs::metadata(&dest).unwrap().len(), SIZE);
    // Sample the content at a few offsets, including the very end.
    let mut f = std::fs::File::open(&dest).unwrap();
    for offset in [0, 123_456_789, SIZE / 2 + 17, SIZE - 4096] {
        let mut got = vec![0u8; 4096];
        f.seek(SeekFrom::Start(offset)).unwrap();
        f.read_exact(&mut got).unwrap();
        assert!(got == generated_bytes(offset, 4096), "content differs at {offset}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
    eprintln!("peak RSS {peak} KiB (before the download {before} KiB)");
    assert!(peak < 64 * 1024, "peak resident size {peak} KiB is over 64 MiB");
}
