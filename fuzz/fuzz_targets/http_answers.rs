//! What an HTTP function answers, as the emulator reads it (`decode_response`: API Gateway's
//! v2 rules, a bare string or JSON value, `statusCode`, headers, cookies, base64 bodies): from an
//! untrusted function, so any bytes give an answer or a typed error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|answer: &[u8]| {
    let _ = fnkit::platform::decode_response(answer);
});
