// Entry point: the one stylesheet, the audio unlock for the board's beep, and the app.

import { render } from "preact";
import { App } from "./App";
import { armAudioOnFirstGesture } from "./beep";
import "./styles.css";

armAudioOnFirstGesture();
render(<App />, document.getElementById("app")!);
