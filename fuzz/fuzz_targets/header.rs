//! The envelope header parser (the collector reads it before storing a submission): what it
//! accepts encodes to exactly the bytes it read.
#![no_main]

use keksdose::seal::envelope::{Header, chunks_well_formed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok((header, len)) = Header::parse(bytes) {
        assert_eq!(header.encode(), bytes[..len]);
        let _ = chunks_well_formed(bytes.len() - len, header.chunk_size);
    }
});
