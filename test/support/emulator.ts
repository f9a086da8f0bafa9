// The running emulator of the test environment, for tests that set its behaviour.
import { EmulatorControl } from "../aws-emulator/control.ts";
import { testenvVars, var_ } from "./testenv.ts";

export function emulator(): EmulatorControl {
  return new EmulatorControl(var_(testenvVars(), "TESTENV_EMULATOR_URL"));
}

export async function ecrPublicCalls(control: EmulatorControl): Promise<number> {
  return (await control.calls())["ecr-public:GetAuthorizationToken"].total;
}
