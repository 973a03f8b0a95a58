//! The `pos` command. Not implemented yet.

fn main() {
    eprintln!("pos: not implemented yet");
    std::process::exit(2);
}
