/** The version Eddy reports in its banner and to clients (ApiVersions v3 carries no broker version). */
import packageJson from "../package.json" with { type: "json" };

export const eddyVersion: string = packageJson.version;
