//! Response bodies made on a worker thread while they are sent: print runs
//! and exports never hold a whole file in memory.

use std::io::{self, Write};

use actix_web::web::Bytes;

/// Runs `produce` on its own thread with a writer whose bytes become the
/// stream's items. A client that goes away makes the next write fail
/// (`BrokenPipe`), which ends the producer.
pub fn from_writer<F>(produce: F) -> impl futures_util::Stream<Item = Result<Bytes, io::Error>>
where
    F: FnOnce(&mut ChannelWriter) -> io::Result<()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, io::Error>>(8);
    std::thread::spawn(move || {
        let mut w = ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        };
        let result = produce(&mut w).and_then(|()| w.flush());
        match result {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            // A missing source: the caller answers 404 on seeing it first.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let _ = w.tx.blocking_send(Err(e));
            }
            Err(e) => {
                tracing::error!(error = %e, "streamed response failed");
                // The client sees a truncated body rather than a complete-looking one.
                let _ = w.tx.blocking_send(Err(e));
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

const CHUNK: usize = 64 * 1024;

/// Gathers writes into 64 KiB chunks for the response stream.
pub struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }
}
