# A shared instance (the WebArena family's sites) reset before each round: one agent's episodes
# with one seed. Inputs: every episode of the round before. temp(): a later run that resumes the
# round resets again first.
rule reset:
    input:
        reset_prerequisites,
    output:
        temp("results/{study}/resets/{benchmark}/{agent}/seed{seed}.json"),
    log:
        "results/{study}/logs/resets/{benchmark}/{agent}/seed{seed}.log",
    retries: STUDY.retries
    conda:
        "../envs/agentlab.yaml"
    resources:
        wa_instance=instance_slot("webarena"),
        vwa_instance=instance_slot("visualwebarena"),
    params:
        module=benchmark_module,
    shell:
        "agentlab reset {wildcards.benchmark:q} --module={params.module:q} --out {output:q} >> {log:q} 2>&1"
