use std::path::Path;
use std::time::Instant;
use wattshift::costs::Costs;
use wattshift::evaluate::evaluate;
use wattshift::io::read::read_instance;
use wattshift::solvers::{find, SolveSettings};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let instance = read_instance(Path::new(&args[1])).unwrap();
    let costs = Costs::new(&instance);
    for name in args[2].split(',') {
        let mut settings = SolveSettings::default();
        if let Some(i) = args.get(3) {
            settings.iterations = i.parse().unwrap();
        }
        if let Ok(x) = std::env::var("WS_SEED") {
            settings.seed = x.parse().unwrap();
        }
        let t = Instant::now();
        let o = (find(name).unwrap())(&costs, &settings, t);
        let e = evaluate(&costs, o.plan.as_ref().unwrap());
        println!(
            "{name}: {} feasible={} {:.3}s notes={:?}",
            e.objective_eur,
            e.is_feasible(),
            t.elapsed().as_secs_f64(),
            o.notes
        );
    }
}
