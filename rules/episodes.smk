# One real browser episode per (benchmark, agent, task, seed).
rule episode:
    input:
        episode_prerequisites(),
    output:
        "results/{study}/{benchmark}/{agent}/{task}/seed{seed}/summary.json",
    log:
        "results/{study}/logs/{benchmark}/{agent}/{task}/seed{seed}.log",
    retries: STUDY.retries
    conda:
        "../envs/agentlab.yaml"
    # How the episode runs (not params: changing these reruns nothing). runtime (minutes) lets a
    # cluster kill the job only after the runner's own episode time limit has fired. One job at a
    # time holds a shared WebArena/VisualWebArena instance (profiles/default: wa_instance=1).
    # mem_mb and disk_mb are numbers, not Snakemake's default expressions (evaluated again for every
    # job it plans): mem_mb is what that default gives an episode; the SLURM plugin reads no disk_mb.
    resources:
        browser=1,
        llm=llm_slot(),  # 1 for episodes on the local LLM server
        wa_instance=instance_slot("webarena"),
        vwa_instance=instance_slot("visualwebarena"),
        attempt=job_attempt,
        runtime=episode_runtime,
        mem_mb=1000,
        disk_mb=1000,
    params:
        spec=episode_spec,
        dir="results/{study}/{benchmark}/{agent}/{task}/seed{seed}",
    shell:
        "agentlab episode --spec {params.spec:q} --out {params.dir:q} --attempt {resources.attempt} "
        + episode_limits()
        + " --study-dir results/{wildcards.study:q} >> {log:q} 2>&1"
