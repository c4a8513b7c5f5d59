# Once per run of a study, before any of a benchmark's episodes: is its package installed and its
# backend (server, credentials, dataset) there? temp(): the next run with episodes to do checks again.
rule preflight:
    input:
        "results/{study}/study.json",
    output:
        temp("results/{study}/preflight/{benchmark}.json"),
    log:
        "results/{study}/logs/preflight/{benchmark}.log",
    conda:
        "../envs/agentlab.yaml"
    params:
        module=benchmark_module,
        cube=benchmark_cube,
    shell:
        "agentlab preflight {wildcards.benchmark:q} --module={params.module:q} --cube={params.cube:q} --manifest {input:q} --out {output:q} 2>&1 | tee {log:q}"
