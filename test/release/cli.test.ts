import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { copyStacks, fileView, original, release, replaceOnce, withoutClusterNote } from "./harness";

const PROD_ACTIVE = "  bluegreen:activeColor: blue\n";
/**
 * Staging is an app of two services (web and its BFF): a color's release is `images: {web, bff}`.
 * Production is the one-service shorthand (`image`). Tests of the shorthand's own keys run on production.
 */
const stagingImages = (color: "blue" | "green", web: string, bff: string, replicas: number) =>
  `    ${color}:\n      images:\n        web: ${web}\n        bff: ${bff}\n      replicas: ${replicas}\n`;
const STAGING_BLUE = stagingImages("blue", "ghcr.io/acme/web:1.4.2", "ghcr.io/acme/bff:1.4.2", 1);
const STAGING_GREEN = stagingImages("green", "ghcr.io/acme/web:1.5.0-rc.2", "ghcr.io/acme/bff:1.5.0-rc.2", 1);

describe("promote and rollback", () => {
  it("promote flips activeColor and changes no other byte", async () => {
    const copy = copyStacks();
    const result = await release(copy.dir, ["promote", "--stack", "production"]);
    expect(result.code).toBe(0);
    expect(copy.read("production")).toBe(replaceOnce(original("production"), PROD_ACTIVE, "  bluegreen:activeColor: green\n"));
    expect(result.out).toBe(
      [
        "--- Pulumi.production.yaml",
        "+++ Pulumi.production.yaml",
        "@@ line 8 @@",
        "   # The color the live Service selects. Promote: set to the idle color. Roll back: git revert.",
        "-  bluegreen:activeColor: blue",
        "+  bluegreen:activeColor: green",
        "   bluegreen:colors:",
        "",
        "Next: review the diff, then commit and apply:",
        '  git commit -am "production: promote green (ghcr.io/acme/web:1.5.0) to live"',
        "  pulumi up -s production",
      ].join("\n"),
    );
    expect(withoutClusterNote(result.err)).toBe("");
  });

  it.each(["staging", "production"])("promote then rollback restores %s byte for byte", async (stack) => {
    const copy = copyStacks();
    expect((await release(copy.dir, ["promote", "--stack", stack])).code).toBe(0);
    expect(copy.read(stack)).not.toBe(original(stack));
    const back = await release(copy.dir, ["rollback", "--stack", stack]);
    expect(back.code).toBe(0);
    expect(copy.read(stack)).toBe(original(stack));
  });

  it("rollback names the preferred git revert and its own commit, with every service's image (staging)", async () => {
    const copy = copyStacks();
    const result = await release(copy.dir, ["rollback", "--stack", "staging"]);
    expect(result.code).toBe(0);
    expect(copy.read("staging")).toBe(
      replaceOnce(original("staging"), "  bluegreen:activeColor: green\n", "  bluegreen:activeColor: blue\n"),
    );
    expect(fileView(result.out).split("\n").slice(-6)).toEqual([
      "",
      "When you know the promotion commit, `git revert <promotion commit>` makes this same change and records why; find it with `git log --oneline -- Pulumi.staging.yaml`.",
      "",
      "Next: review the diff, then commit and apply:",
      '  git commit -am "staging: roll back to blue (web=ghcr.io/acme/web:1.4.2, bff=ghcr.io/acme/bff:1.4.2)"',
      "  pulumi up -s staging",
    ]);
  });

  it("refuses to promote a color without a release (staging: no `images`)", async () => {
    const copy = copyStacks();
    const noGreenRelease = replaceOnce(replaceOnce(original("staging"), STAGING_GREEN, "    green:\n      replicas: 0\n"), "  bluegreen:activeColor: green\n", "  bluegreen:activeColor: blue\n");
    copy.write("staging", noGreenRelease);
    const before = copy.read("staging");
    const result = await release(copy.dir, ["promote", "--stack", "staging"]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      [
        "bluegreen promote: refused: nothing was written",
        "  - cannot promote `green`: `colors.green.images` is not set; stage a release of every service first with `npx bluegreen stage green web=<image> bff=<image> -s staging`",
        "  - cannot promote `green`: `colors.green.replicas` is 0, so it would serve no traffic; scale it up first with `pulumi config set --path colors.green.replicas 1 -s staging`",
      ].join("\n"),
    );
    expect(result.out).toBe("");
    expect(copy.read("staging")).toBe(before);
  });

  it("refuses to promote a color without an image (the one-service shorthand: production)", async () => {
    const copy = copyStacks();
    copy.write("production", replaceOnce(original("production"), "    green:\n      image: ghcr.io/acme/web:1.5.0\n      replicas: 4\n", "    green:\n      replicas: 0\n"));
    const before = copy.read("production");
    const result = await release(copy.dir, ["promote", "--stack", "production"]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      [
        "bluegreen promote: refused: nothing was written",
        "  - cannot promote `green`: `colors.green.image` is not set; stage an image first with `npx bluegreen stage green <image> -s production`",
        "  - cannot promote `green`: `colors.green.replicas` is 0, so it would serve no traffic; scale it up first with `pulumi config set --path colors.green.replicas 4 -s production`",
      ].join("\n"),
    );
    expect(result.out).toBe("");
    expect(copy.read("production")).toBe(before);
  });

  it("refuses to promote a retired color: its schema may be contracted, and it runs no Pods", async () => {
    const copy = copyStacks();
    expect((await release(copy.dir, ["retire", "green", "--stack", "production"])).code).toBe(0);
    const retired = copy.read("production");
    const result = await release(copy.dir, ["promote", "--stack", "production"]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      [
        "bluegreen promote: refused: nothing was written",
        "  - cannot promote `green`: `colors.green.retired` is true, so its schema may be contracted and its code may read what the contract dropped; stage a compatible image first with `npx bluegreen stage green <image> -s production`",
        "  - cannot promote `green`: `colors.green.replicas` is 0, so it would serve no traffic; scale it up first with `pulumi config set --path colors.green.replicas 4 -s production`",
      ].join("\n"),
    );
    expect(copy.read("production")).toBe(retired);
  });

  it("a promotion to a color that runs fewer Pods while idle says it scales up first", async () => {
    const copy = copyStacks();
    copy.write("production", replaceOnce(original("production"), "      replicas: 4\n  bluegreen:resources:", "      replicas: 4\n      previewReplicas: 1\n  bluegreen:resources:"));
    const result = await release(copy.dir, ["promote", "--stack", "production", "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      "\ngreen runs 1 of its 4 Pods while idle: `pulumi up` scales it up first and moves traffic once they are ready.\n",
    );
  });
});

describe("stage", () => {
  it("puts the image on the idle color and changes no other byte", async () => {
    const copy = copyStacks();
    const result = await release(copy.dir, ["stage", "green", "ghcr.io/acme/web:1.6.0", "--stack", "production"]);
    expect(result.code).toBe(0);
    expect(copy.read("production")).toBe(
      replaceOnce(original("production"), "      image: ghcr.io/acme/web:1.5.0\n", "      image: ghcr.io/acme/web:1.6.0\n"),
    );
    expect(result.out).toBe(
      [
        "--- Pulumi.production.yaml",
        "+++ Pulumi.production.yaml",
        "@@ line 14 @@",
        "     green:",
        "-      image: ghcr.io/acme/web:1.5.0",
        "+      image: ghcr.io/acme/web:1.6.0",
        "       replicas: 4",
        "",
        "`pulumi up` rolls green out behind its preview Service; traffic moves only with `npx bluegreen promote -s production`.",
        "",
        "Next: review the diff, then commit and apply:",
        '  git commit -am "production: stage ghcr.io/acme/web:1.6.0 on green"',
        "  pulumi up -s production",
      ].join("\n"),
    );
  });

  it("keeps the original quoting of the value it replaces", async () => {
    const copy = copyStacks();
    copy.write("production", replaceOnce(original("production"), "image: ghcr.io/acme/web:1.5.0\n", 'image: "ghcr.io/acme/web:1.5.0" # next release\n'));
    const before = copy.read("production");
    expect((await release(copy.dir, ["stage", "green", "ghcr.io/acme/web:1.6.0", "--stack", "production"])).code).toBe(0);
    expect(copy.read("production")).toBe(replaceOnce(before, '"ghcr.io/acme/web:1.5.0" # next', '"ghcr.io/acme/web:1.6.0" # next'));
  });

  it("scales a retired color back to the live color's size and clears its retired marker", async () => {
    const copy = copyStacks();
    await release(copy.dir, ["retire", "green", "--stack", "production"]);
    const result = await release(copy.dir, ["stage", "green", "ghcr.io/acme/web:1.6.0", "--stack", "production"]);
    expect(result.code).toBe(0);
    expect(copy.read("production")).toBe(
      replaceOnce(original("production"), "    green:\n      image: ghcr.io/acme/web:1.5.0\n", "    green:\n      retired: false\n      image: ghcr.io/acme/web:1.6.0\n"),
    );
    expect((await release(copy.dir, ["promote", "--stack", "production"])).code).toBe(0);
    expect(result.out).toContain("\ngreen was scaled to 0; it is scaled to 4 Pods, as many as blue serves with.\n");
  });

  it("adds the image key to a color that has none, indented like its siblings (the one-service shorthand: production)", async () => {
    const copy = copyStacks();
    copy.write("production", replaceOnce(original("production"), "    green:\n      image: ghcr.io/acme/web:1.5.0\n      replicas: 4\n", "    green:\n      replicas: 0\n"));
    const result = await release(copy.dir, ["stage", "green", "ghcr.io/acme/web:1.6.0", "--stack", "production"]);
    expect(result.code).toBe(0);
    expect(copy.read("production")).toBe(replaceOnce(original("production"), "ghcr.io/acme/web:1.5.0", "ghcr.io/acme/web:1.6.0"));
  });

  it("adds the images of every service to a color that has none, indented like its siblings (staging)", async () => {
    const copy = copyStacks();
    copy.write("staging", replaceOnce(original("staging"), STAGING_BLUE, "    blue:\n      replicas: 0\n"));
    const result = await release(copy.dir, ["stage", "blue", "web=ghcr.io/acme/web:1.6.0-rc.1", "bff=ghcr.io/acme/bff:1.6.0-rc.1", "--stack", "staging"]);
    expect(result.code).toBe(0);
    expect(copy.read("staging")).toBe(replaceOnce(original("staging"), STAGING_BLUE, stagingImages("blue", "ghcr.io/acme/web:1.6.0-rc.1", "ghcr.io/acme/bff:1.6.0-rc.1", 1)));
    expect(result.out).toContain('  git commit -am "staging: stage web=ghcr.io/acme/web:1.6.0-rc.1, bff=ghcr.io/acme/bff:1.6.0-rc.1 on blue"\n');
  });

  it("refuses the live color", async () => {
    const copy = copyStacks();
    const result = await release(copy.dir, ["stage", "blue", "ghcr.io/acme/web:1.6.0", "--stack", "production"]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      [
        "bluegreen stage: refused: nothing was written",
        "  - cannot stage on `blue`: it is the live color (`activeColor` is `blue`); stage on the idle color `green` with `npx bluegreen stage green ghcr.io/acme/web:1.6.0 -s production`, then promote it",
      ].join("\n"),
    );
    expect(copy.read("production")).toBe(original("production"));
  });

  it("refuses what `pulumi up` would refuse, with config.ts's messages", async () => {
    const copy = copyStacks();
    const latest = await release(copy.dir, ["stage", "green", "ghcr.io/acme/web:latest", "--stack", "production"]);
    expect(latest.code).toBe(1);
    expect(latest.err).toBe(
      [
        "bluegreen stage: refused: the edited Pulumi.production.yaml would fail `pulumi up`; nothing was written",
        "  - `colors.green.image` is `ghcr.io/acme/web:latest`: production images must be pinned (`latest` moves); use a version tag or a digest, such as `ghcr.io/acme/web:1.4.2` or `ghcr.io/acme/web@sha256:<digest>`",
      ].join("\n"),
    );
    const bad = await release(copy.dir, ["stage", "blue", "web=Not An Image", "bff=ghcr.io/acme/bff:1.6.0-rc.1", "--stack", "staging"]);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe(
      [
        "bluegreen stage: refused: the edited Pulumi.staging.yaml would fail `pulumi up`; nothing was written",
        "  - `colors.blue.images.web` is `Not An Image`: not an image reference; use `registry/repository:tag` or `registry/repository@sha256:<digest>`",
      ].join("\n"),
    );
    expect(copy.read("production")).toBe(original("production"));
    expect(copy.read("staging")).toBe(original("staging"));
  });

  it("staging the image a color already runs changes nothing", async () => {
    const copy = copyStacks();
    const result = await release(copy.dir, ["stage", "green", "ghcr.io/acme/web:1.5.0", "--stack", "production"]);
    expect(result).toEqual({ code: 0, out: "`colors.green.image` is already `ghcr.io/acme/web:1.5.0`: nothing to change", err: "" });
    expect(copy.read("production")).toBe(original("production"));
  });
});

describe("retire", () => {
  it("scales the idle color to 0 and keeps its images (staging: every service's)", async () => {
    const copy = copyStacks();
    const result = await release(copy.dir, ["retire", "blue", "--stack", "staging"]);
    expect(result.code).toBe(0);
    expect(copy.read("staging")).toBe(
      replaceOnce(
        original("staging"),
        STAGING_BLUE,
        "    blue:\n      retired: true\n      images:\n        web: ghcr.io/acme/web:1.4.2\n        bff: ghcr.io/acme/bff:1.4.2\n      replicas: 0\n",
      ),
    );
    expect(result.out).toContain(
      "\nAfter `pulumi up` there is no instant rollback: blue runs no Pods until it is staged again.\n`colors.blue.retired` marks it: promotion and rollback to blue are refused until `stage` puts a compatible release on it.\nContract-phase migrations, which wait for the old color to be retired, run on that `pulumi up`.\n",
    );
    expect(result.out).toContain('  git commit -am "staging: retire blue"\n  pulumi up -s staging');
  });

  it("scales the idle color to 0 and keeps its image (the one-service shorthand: production)", async () => {
    const copy = copyStacks();
    const result = await release(copy.dir, ["retire", "green", "--stack", "production"]);
    expect(result.code).toBe(0);
    expect(copy.read("production")).toBe(
      replaceOnce(original("production"), "    green:\n      image: ghcr.io/acme/web:1.5.0\n      replicas: 4\n", "    green:\n      retired: true\n      image: ghcr.io/acme/web:1.5.0\n      replicas: 0\n"),
    );
    expect(result.out).toContain(
      "\nAfter `pulumi up` there is no instant rollback: green runs no Pods until it is staged again.\n`colors.green.retired` marks it: promotion and rollback to green are refused until `stage` puts a compatible image on it.\nContract-phase migrations, which wait for the old color to be retired, run on that `pulumi up`.\n",
    );
    expect(result.out).toContain('  git commit -am "production: retire green"\n  pulumi up -s production');
  });

  it("also zeroes previewReplicas when the color has it", async () => {
    const copy = copyStacks();
    const withPreview = replaceOnce(original("production"), "      replicas: 4\n  bluegreen:resources:", "      replicas: 4\n      previewReplicas: 2\n  bluegreen:resources:");
    copy.write("production", withPreview);
    expect((await release(copy.dir, ["retire", "green", "--stack", "production"])).code).toBe(0);
    expect(copy.read("production")).toBe(
      replaceOnce(
        withPreview,
        "    green:\n      image: ghcr.io/acme/web:1.5.0\n      replicas: 4\n      previewReplicas: 2\n",
        "    green:\n      retired: true\n      image: ghcr.io/acme/web:1.5.0\n      replicas: 0\n      previewReplicas: 0\n",
      ),
    );
  });

  it("refuses the live color", async () => {
    const copy = copyStacks();
    const result = await release(copy.dir, ["retire", "blue", "--stack", "production"]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      [
        "bluegreen retire: refused: nothing was written",
        "  - cannot retire `blue`: it is the live color (`activeColor` is `blue`); promote `green` first with `npx bluegreen promote -s production`",
      ].join("\n"),
    );
    expect(copy.read("production")).toBe(original("production"));
  });
});

describe("status", () => {
  it("shows both colors, the live one, images, replicas and an instant rollback", async () => {
    const copy = copyStacks();
    const result = await release(copy.dir, ["status", "--stack", "production"]);
    expect({ ...result, out: fileView(result.out) }).toEqual({
      code: 0,
      err: "",
      out: [
        "Stack production (Pulumi.production.yaml)",
        "",
        "  color  role  image                   replicas",
        "  blue   live  ghcr.io/acme/web:1.4.2  4",
        "  green  idle  ghcr.io/acme/web:1.5.0  4",
        "",
        "Live: blue. Idle: green.",
        "Rollback: instant. green already runs 4 Pods of ghcr.io/acme/web:1.5.0, as many as blue serves with (4); `npx bluegreen rollback -s production` only flips the Service selector.",
      ].join("\n"),
    });
  });

  it("says when a rollback has to wait for the idle color to scale up", async () => {
    const copy = copyStacks();
    copy.write("production", replaceOnce(original("production"), "      replicas: 4\n  bluegreen:resources:", "      replicas: 4\n      previewReplicas: 1\n  bluegreen:resources:"));
    const result = await release(copy.dir, ["status", "--stack", "production"]);
    expect(result.code).toBe(0);
    expect(fileView(result.out).split("\n").slice(2)).toEqual([
      "  color  role  image                   replicas",
      "  blue   live  ghcr.io/acme/web:1.4.2  4",
      "  green  idle  ghcr.io/acme/web:1.5.0  4 (1 while idle)",
      "",
      "Live: blue. Idle: green.",
      "Rollback: not instant. green runs 1 of the 4 Pods blue serves with; `npx bluegreen rollback -s production` scales it up first and flips traffic once they are ready. Keep it at full size with `pulumi config set --path colors.green.previewReplicas 4 -s production`.",
    ]);
  });

  it("says when there is nothing to roll back to, and how to stage a release of every service (staging)", async () => {
    const copy = copyStacks();
    await release(copy.dir, ["retire", "blue", "--stack", "staging"]);
    const result = await release(copy.dir, ["status", "--stack", "staging"]);
    expect(result.code).toBe(0);
    expect(fileView(result.out).split("\n").slice(-2)).toEqual([
      "Live: green. Idle: blue.",
      "Rollback: none. blue runs no Pods; stage a release of every service first with `npx bluegreen stage blue web=<image> bff=<image> -s staging`.",
    ]);
  });

  it("says when there is nothing to roll back to (the one-service shorthand: production)", async () => {
    const copy = copyStacks();
    await release(copy.dir, ["retire", "green", "--stack", "production"]);
    const result = await release(copy.dir, ["status", "--stack", "production"]);
    expect(result.code).toBe(0);
    expect(fileView(result.out).split("\n").slice(-2)).toEqual([
      "Live: blue. Idle: green.",
      "Rollback: none. green runs no Pods; stage it first with `npx bluegreen stage green <image> -s production`.",
    ]);
  });

  it("reports config problems and exits non-zero", async () => {
    const copy = copyStacks();
    copy.write("staging", replaceOnce(original("staging"), "  bluegreen:activeColor: green\n", "  bluegreen:activeColor: purple\n"));
    const result = await release(copy.dir, ["status", "--stack", "staging"]);
    expect(result).toEqual({
      code: 1,
      out: "",
      err: [
        "bluegreen status: refused: Pulumi.staging.yaml has config problems; fix them first",
        "  - `activeColor` is `purple`: must be `blue` or `green`; set it with `pulumi config set activeColor blue`",
      ].join("\n"),
    });
  });

  it("accepts a production stack file whose scalars `pulumi config set` rewrote as strings", async () => {
    const copy = copyStacks();
    const expected = await release(copy.dir, ["status", "--stack", "production"]);
    copy.write("production", replaceOnce(original("production"), "  bluegreen:production: true\n", '  bluegreen:production: "true"\n'));
    expect(copy.read("production")).toContain('  bluegreen:production: "true"\n');
    const result = await release(copy.dir, ["status", "--stack", "production"]);
    expect(result).toEqual({ code: 0, err: "", out: expected.out });
    expect(fileView(result.out)).not.toBe(result.out);
    expect(result.out.split("\n")[0]).toBe("Stack production (Pulumi.production.yaml)");
    // Read as the boolean it is: production rules still apply (an unpinned image is refused).
    copy.write(
      "production",
      replaceOnce(
        replaceOnce(original("production"), "  bluegreen:production: true\n", '  bluegreen:production: "true"\n'),
        "      image: ghcr.io/acme/web:1.5.0\n",
        "      image: ghcr.io/acme/web:latest\n",
      ),
    );
    const unpinned = await release(copy.dir, ["status", "--stack", "production"]);
    expect(unpinned.code).toBe(1);
    expect(unpinned.err.split("\n")).toEqual([
      "bluegreen status: refused: Pulumi.production.yaml would fail `pulumi up`",
      "  - `colors.green.image` is `ghcr.io/acme/web:latest`: production images must be pinned (`latest` moves); use a version tag or a digest, such as `ghcr.io/acme/web:1.4.2` or `ghcr.io/acme/web@sha256:<digest>`",
    ]);
  });

  it("ignores encrypted secret values, as pulumi up's config validation does", async () => {
    const copy = copyStacks();
    copy.write("production", `${original("production")}  bluegreen:databaseUrl:\n    secure: v1:AAAABBBB\n  bluegreen:sessionSecret:\n    secure: v1:CCCCDDDD\n`);
    const result = await release(copy.dir, ["status", "--stack", "production"]);
    expect(result.code).toBe(0);
    expect(withoutClusterNote(result.err)).toBe("");
  });
});

describe("output and usage", () => {
  it("colors the diff only on a terminal without NO_COLOR", async () => {
    const copy = copyStacks();
    const args = ["promote", "--stack", "production", "--dry-run"];
    const tty = await release(copy.dir, args, { isTTY: true });
    expect(tty.out).toContain("\u001b[31m-  bluegreen:activeColor: blue\u001b[39m");
    expect(tty.out).toContain("\u001b[32m+  bluegreen:activeColor: green\u001b[39m");
    expect((await release(copy.dir, args, { isTTY: true, env: { NO_COLOR: "1" } })).out).not.toContain("\u001b[");
    expect((await release(copy.dir, args, { isTTY: false })).out).not.toContain("\u001b[");
  });

  it("--dry-run prints the diff and commands and writes nothing", async () => {
    const copy = copyStacks();
    const result = await release(copy.dir, ["promote", "--stack", "production", "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.out).toContain("+  bluegreen:activeColor: green\n");
    expect(result.out).toContain("\nDry run: Pulumi.production.yaml was not written.\n");
    expect(result.out).toContain("  pulumi up -s production");
    expect(copy.read("production")).toBe(original("production"));
  });

  it("--file edits another copy of a stack file", async () => {
    const copy = copyStacks();
    fs.copyFileSync(path.join(copy.dir, "Pulumi.production.yaml"), path.join(copy.dir, "Pulumi.production-eu.yaml"));
    const result = await release(copy.dir, ["promote", "--stack", "production-eu", "--file=Pulumi.production-eu.yaml"]);
    expect(result.code).toBe(0);
    expect(result.out).toContain("  pulumi up -s production-eu");
    expect(fs.readFileSync(path.join(copy.dir, "Pulumi.production-eu.yaml"), "utf8")).toContain("bluegreen:activeColor: green\n");
    expect(copy.read("production")).toBe(original("production"));
  });

  it.each([
    [["status"], "bluegreen: `-s/--stack` is required: name the stack, such as `-s staging`"],
    [["deploy", "--stack", "staging"], "bluegreen: `deploy` is not a command; use one of status, history, check-drift, stage, promote, rollback, maintenance, watch, report-failure, retire"],
    [["stage", "green", "--stack", "staging"], "bluegreen: `stage` takes at least 2 argument(s): stage <color> <image> -s <stack>, or stage <color> <service>=<image> ... for an app with `services`"],
    [["retire", "purple", "--stack", "staging"], "bluegreen: `purple` is not a color; use `blue` or `green`"],
    [["promote", "--stack"], "bluegreen: `-s/--stack` needs a value"],
    [["promote", "-s"], "bluegreen: `-s/--stack` needs a value"],
    [["promote", "--stack", "staging", "--force"], "bluegreen: `--force` is not an option; see `bluegreen --help`"],
    [["promote", "-s", "staging", "--apply"], "bluegreen: `--apply` goes with `rollback` and `maintenance` only; a promotion goes through the full `pulumi up`, which runs the gates"],
    [["promote", "-s", "staging", "--limit", "3"], "bluegreen: `--limit` goes with `history` only"],
    [["status", "-s", "staging", "-o", "yaml"], "bluegreen: `-o/--output` is `yaml`: use `json` (or leave it out for text)"],
    [["history", "-s", "staging", "--limit", "0"], "bluegreen: `--limit` is `0`: use a whole number of switches, such as `--limit 10`"],
    [["rollback", "-s", "staging", "--apply", "--dry-run"], "bluegreen: `--apply` and `--dry-run` exclude each other"],
    [["promote", "-s", "staging", "--dry-run=yes"], "bluegreen: `--dry-run` takes no value"],
    [["report-failure", "-s", "staging", "--within", "soon"], "bluegreen: `--within` is `soon`: use a number of minutes, such as `--within 30`"],
    [["promote", "-s", "staging", "--reason", "x"], "bluegreen: `--reason` goes with `report-failure` only"],
  ])("%j is a usage error", async (argv, message) => {
    const copy = copyStacks();
    const result = await release(copy.dir, argv);
    expect(result).toEqual({
      code: 2,
      out: "",
      err: `${message}\nusage: bluegreen <command> [arguments] -s <stack> [options]   (bluegreen <command> --help)`,
    });
  });

  it.each([["--help"], ["-h"], ["rollback", "--help"], ["status", "-h", "--nonsense"], ["history", "-s", "staging", "--help"]])("%j prints help and exits 0", async (...argv) => {
    const result = await release(copyStacks().dir, argv);
    expect(result.code).toBe(0);
    expect(withoutClusterNote(result.err)).toBe("");
    const command = argv.find((arg) => !arg.startsWith("-") && arg !== "staging");
    expect(result.out.split("\n")[0]).toMatch(command ? new RegExp(`^usage: bluegreen ${command} -s <stack>`) : /^usage: bluegreen <command> \[arguments\] -s <stack> \[options\]/);
    if (!command) expect(result.out).toContain("exit codes: 0 done (or nothing to do), 1 refused, 2 usage error, 3 the cluster and git disagree (drift)");
  });

  it("names the missing stack file", async () => {
    const copy = copyStacks();
    const result = await release(copy.dir, ["status", "--stack", "qa"]);
    expect(result.code).toBe(2);
    expect(result.err.split("\n")[0]).toBe(
      `bluegreen: Pulumi.qa.yaml not found in ${copy.dir}: run from the project directory or pass \`--file <path>\``,
    );
  });
});
