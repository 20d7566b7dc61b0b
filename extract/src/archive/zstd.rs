//! A zstd stream of one or more frames (`zstd -T0` and concatenated files
//! write several), decoded with the pure-Rust `ruzstd`.

use std::io::{self, BufRead, BufReader, Read};

use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

pub(super) struct Frames<R: Read> {
    source: BufReader<R>,
    decoder: FrameDecoder,
    started: bool,
}

impl<R: Read> Frames<R> {
    pub(super) fn new(source: R) -> Self {
        Self {
            source: BufReader::new(source),
            decoder: FrameDecoder::new(),
            started: false,
        }
    }

    /// Starts the next frame; false at the end of the stream.
    fn next_frame(&mut self) -> io::Result<bool> {
        if self.source.fill_buf()?.is_empty() {
            return Ok(false);
        }
        self.decoder
            .init(&mut self.source)
            .map_err(io::Error::other)?;
        self.started = true;
        Ok(true)
    }
}

impl<R: Read> Read for Frames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let frame_done = self.decoder.is_finished() && self.decoder.can_collect() == 0;
            if (!self.started || frame_done) && !self.next_frame()? {
                return Ok(0);
            }
            // Decoding up to N bytes may collect fewer; go on until the
            // frame ends or something can be handed out.
            while self.decoder.can_collect() < buf.len() && !self.decoder.is_finished() {
                let wanted = buf.len() - self.decoder.can_collect();
                self.decoder
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBytes(wanted))
                    .map_err(io::Error::other)?;
            }
            let n = self.decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
        }
    }
}
