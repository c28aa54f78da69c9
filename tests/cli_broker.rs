//! `switchboard broker` end to end: it prints a URL where an AMQP server
//! answers, and stops cleanly (exit 0) on Ctrl-C (SIGINT).

use std::process::Stdio;

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
    process::Command,
};

#[tokio::test]
async fn broker_command_prints_its_url_serves_amqp_and_stops_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["broker", "--user", "alice:secret", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .await
        .unwrap();
    let printed: serde_json::Value = serde_json::from_str(&first_line).unwrap();
    let url = printed["url"].as_str().unwrap();
    let addr = printed["addr"].as_str().unwrap();
    assert!(url.starts_with("amqp://alice:secret@127.0.0.1:"), "{url}");
    assert!(url.ends_with("/%2f"), "{url}");

    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket.write_all(b"AMQP\x00\x00\x09\x01").await.unwrap();
    let mut frame_start = [0u8; 3];
    socket.read_exact(&mut frame_start).await.unwrap();
    assert_eq!(
        frame_start,
        [1, 0, 0],
        "a method frame on channel 0: connection.start"
    );

    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().await.unwrap();
    assert!(exit.success(), "{exit:?}");
}
