//! The driver: every comparison, in order, each printing its ratio line.

use super::*;
use crate::report::{Plan, Report};
use crate::{mem, micro, net, python, server};

struct Opts {
    quick: bool,
    server: Option<String>,
    python: bool,
    strict: bool,
}

fn parse_opts(args: &[String]) -> Result<Opts, BoxError> {
    let mut opts = Opts {
        quick: false,
        server: None,
        python: true,
        strict: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => opts.quick = true,
            "--no-python" => opts.python = false,
            "--strict" => opts.strict = true,
            "--server" => {
                let url = it.next().ok_or("--server needs a URL")?;
                opts.server = Some(url.trim_end_matches('/').to_owned());
            }
            other => return Err(format!("unknown argument `{other}`\n{}", usage()).into()),
        }
    }
    Ok(opts)
}

pub(crate) fn main(args: &[String]) -> Result<(), BoxError> {
    let opts = parse_opts(args)?;
    let plan = if opts.quick {
        Plan {
            micro_slice: Duration::from_millis(15),
            micro_rounds: 15,
            net_slice: Duration::from_millis(150),
            net_rounds: 8,
            py_slice: Duration::from_millis(1000),
            py_rounds: 3,
            mem_rounds: 1,
        }
    } else {
        Plan {
            micro_slice: Duration::from_millis(50),
            micro_rounds: 41,
            net_slice: Duration::from_millis(400),
            net_rounds: 16,
            py_slice: Duration::from_millis(2000),
            py_rounds: 5,
            mem_rounds: 2,
        }
    };
    let started = Instant::now();
    let mut report = Report::new();
    machine_notes();

    micro::core_overhead(&plan.micro(), &mut report);
    micro::core_vs_minimum(&plan.micro(), &mut report);
    micro::typed_parse(&plan.micro(), &mut report);
    micro::webhook(&plan.micro(), &mut report);

    let mut own = match &opts.server {
        Some(_) => None,
        None => Some(server::Handle::spawn()?),
    };
    // Sequential comparisons go to a thread-per-connection listener, concurrent ones
    // (and the memory comparison) to an epoll one: each the cheaper for its load.
    let (base, conc) = match (&opts.server, &own) {
        (Some(url), _) => (url.clone(), url.clone()),
        (None, Some(h)) => (h.url.clone(), h.hold_url.clone()),
        (None, None) => unreachable!("a server was started"),
    };
    if own.is_some() {
        println!(
            "# server: own, in a child process, one prebuilt {} B JSON response: sequential comparisons at {base} (a thread per keep-alive connection, blocking read and write), concurrent ones at {conc} (one tokio current-thread runtime)",
            BODY.len()
        );
    } else {
        println!("# server: {base} (given with --server)");
    }

    // Built before the main thread is pinned, so its workers may use every CPU.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let all_cpus = format!(
        "0-{}",
        std::thread::available_parallelism().map_or(1, |n| n.get()) - 1
    );
    if own.is_some() && pin_main_thread(SEQ_CPU) {
        println!("# sequential clients (on the main thread) and the server share CPU {SEQ_CPU}; concurrent clients use every CPU");
    }
    let before = server::mark(&mut own)?;
    net::blocking(&base, &plan, &mut report)?;
    server::load(&mut own, before, "the blocking comparison")?;
    let before = server::mark(&mut own)?;
    // One call at a time on a current-thread runtime: on two cores a multi-thread
    // runtime parks and wakes its workers between the calls, which makes
    // sequential rounds jump between two speeds.
    let rt_seq = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    net::tokio_seq(&rt_seq, &base, &plan, &mut report)?;
    server::load(&mut own, before, "the sequential tokio comparison")?;
    let before = server::mark(&mut own)?;
    net::tokio_concurrent(&rt, &conc, &plan, &mut report)?;
    server::load(&mut own, before, "the 256-in-flight comparison")?;

    if opts.python {
        match python::Reference::start(&base, &conc) {
            Ok(Some(mut reference)) => {
                let before = server::mark(&mut own)?;
                python::compare(&mut reference, &rt, (&base, &conc), &plan, &mut report)?;
                server::load(&mut own, before, "the reference comparison")?;
            }
            Ok(None) => {}
            Err(e) => println!("# reference client skipped: {e}"),
        }
    } else {
        println!("# reference client skipped (--no-python)");
    }

    if own.is_some() {
        pin_main_thread(&all_cpus);
    }
    net::h2_vs_h1(&rt, &plan, &mut report)?;
    mem::compare(&conc, own.is_some(), plan.mem_rounds, &mut report)?;

    if let Some(server) = &own {
        let capacity = server::capacity(server, if opts.quick { 0.5 } else { 1.5 })?;
        println!("# server: pipelined capacity {capacity:.0} req/s (4 raw connections, 32 requests outstanding on each)");
    }
    println!("# total time {:.1} s", started.elapsed().as_secs_f64());
    if opts.strict && report.short() > 0 {
        std::process::exit(1);
    }
    Ok(())
}

fn machine_notes() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "# machine: {cpu}, {cores} cores; load average {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
