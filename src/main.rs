fn main() {
    std::process::exit(vh5::cli::main());
}
