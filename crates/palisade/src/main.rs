//! The `palisade` binary: the server (`serve`) and the command-line tools. The only crate that
//! picks a storage backend.

fn main() {
    println!("palisade");
}
